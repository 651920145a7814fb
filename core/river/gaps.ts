/**
 * Gaps (欠測) in a station's record: stretches where no frame arrived at all,
 * longer than the station's own cadence allows. A gap is never filled: the
 * hydrograph shades it, the export lists it, and the rules raise `silent` for it
 * in data time (ingest/rules/silence.ts uses the same idea per station).
 */
export interface Gap {
  /** data time of the last frame before the gap and the first after it (ms) */
  from: number
  to: number
}

export interface GapOptions {
  /** never shorter than this (river.rules.silentObserveMinutes: 40 min), ms */
  minGapMs: number
  /** a gap is longer than this many of the record's usual intervals (median) */
  missedReports: number
}

export const DEFAULT_GAP_OPTIONS: GapOptions = { minGapMs: 40 * 60_000, missedReports: 3 }

/** `times` in ascending order (every frame, with or without a level) */
export function findGaps (times: readonly number[], o: GapOptions = DEFAULT_GAP_OPTIONS): Gap[] {
  if (times.length < 2) return []
  const intervals: number[] = []
  for (let i = 1; i < times.length; i++) intervals.push(times[i]! - times[i - 1]!)
  const sorted = [...intervals].sort((a, b) => a - b)
  const median = sorted[sorted.length >> 1]!
  const limit = Math.max(o.minGapMs, o.missedReports * median)
  const out: Gap[] = []
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > limit) out.push({ from: times[i - 1]!, to: times[i]! })
  return out
}
