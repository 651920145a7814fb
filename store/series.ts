import type { Reading } from '../core/types.js'
import type { SeriesBucket, SeriesQuery } from './store.js'

/** the most buckets one series query may return (the API's `points` ceiling) */
export const MAX_SERIES_POINTS = 10_000

/** a level the hydrograph draws: measured, and not failed by QC */
export function usable (r: Pick<Reading, 'level' | 'qc'>): boolean {
  return Number.isFinite(r.level) && (r.qc?.flag ?? 1) !== 4
}

/**
 * Buckets readings in memory, the same way the embedded SQL and the InfluxQL
 * GROUP BY time() do; used where rows are already here (the InfluxDB backend's
 * outbox ledger while the database cannot be read, and undelivered rows).
 */
export function bucketReadings (readings: Iterable<Reading>, q: SeriesQuery): SeriesBucket[] {
  const acc = new Map<number, SeriesBucket & { sum: number }>()
  for (const r of readings) {
    if (r.time < q.from || r.time > q.to) continue
    const start = Math.floor(r.time / q.bucketMs) * q.bucketMs
    let b = acc.get(start)
    if (b === undefined) {
      b = { time: start, mean: null, min: null, max: null, count: 0, flagged: 0, missing: 0, sum: 0 }
      acc.set(start, b)
    }
    if (!Number.isFinite(r.level)) b.missing++
    else if (r.qc?.flag === 3 || r.qc?.flag === 4) b.flagged++
    if (usable(r)) {
      b.count++
      b.sum += r.level
      b.min = b.min === null ? r.level : Math.min(b.min, r.level)
      b.max = b.max === null ? r.level : Math.max(b.max, r.level)
    }
  }
  return [...acc.values()].sort((a, b) => a.time - b.time).map(b => ({
    time: b.time,
    mean: b.count === 0 ? null : b.sum / b.count,
    min: b.min,
    max: b.max,
    count: b.count,
    flagged: b.flagged,
    missing: b.missing
  }))
}

/** folds `extra` buckets (same grid) into `base`: counts add, means weigh by count */
export function mergeBuckets (base: SeriesBucket[], extra: SeriesBucket[], bucketMs: number): SeriesBucket[] {
  const byStart = new Map<number, SeriesBucket>()
  for (const b of base) byStart.set(Math.floor(b.time / bucketMs) * bucketMs, { ...b })
  for (const e of extra) {
    const key = Math.floor(e.time / bucketMs) * bucketMs
    const b = byStart.get(key)
    if (b === undefined) { byStart.set(key, { ...e }); continue }
    const count = b.count + e.count
    b.mean = count === 0 ? null : ((b.mean ?? 0) * b.count + (e.mean ?? 0) * e.count) / count
    b.min = b.min === null ? e.min : e.min === null ? b.min : Math.min(b.min, e.min)
    b.max = b.max === null ? e.max : e.max === null ? b.max : Math.max(b.max, e.max)
    b.count = count
    b.flagged += e.flagged
    b.missing += e.missing
  }
  return [...byStart.values()].sort((a, b) => a.time - b.time)
}
