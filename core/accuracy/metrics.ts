import type { Point } from './series.js'

export interface CrossingMatch {
  threshold: number
  /** hit: both crossed within the tolerance; miss: only the reference; falseAlarm: only ours */
  outcome: 'hit' | 'miss' | 'falseAlarm'
  referenceTime: number | null
  oursTime: number | null
  /** ours − reference, ms (negative = ours early) */
  offsetMs: number | null
}

export interface AccuracyReport {
  window: { from: number, to: number }
  stepMs: number
  pairs: number
  /** mean(ours − reference), m */
  biasM: number | null
  rmseM: number | null
  /** RMSE after removing the bias, m */
  unbiasedRmseM: number | null
  /** lag with the best cross-correlation, ms; positive = ours lags behind the reference */
  lagMs: number | null
  correlationAtLag: number | null
  /** bias and RMSE with ours moved back by the lag */
  atLag: { biasM: number | null, rmseM: number | null }
  /** share of reference slots in the window without a reading of ours (and the reverse) */
  missingShare: { ours: number, reference: number }
  crossings: CrossingMatch[]
}

export interface EvaluateOptions {
  from?: number | undefined
  to?: number | undefined
  /** grid step; default: the reference's median step */
  stepMs?: number | undefined
  maxLagMs?: number | undefined
  thresholds?: number[] | undefined
  /** a crossing of ours counts for the reference's when within this, ms (default 3 h) */
  crossingToleranceMs?: number | undefined
}

function medianStep (s: Point[]): number {
  const d: number[] = []
  for (let i = 1; i < s.length; i++) d.push(s[i]!.time - s[i - 1]!.time)
  d.sort((a, b) => a - b)
  return d[Math.floor(d.length / 2)] ?? 600_000
}

/** values on a regular grid: the reading within half a step of each slot, else NaN (never interpolated) */
function onGrid (s: Point[], from: number, n: number, step: number): Float64Array {
  const g = new Float64Array(n).fill(NaN)
  let j = 0
  for (let i = 0; i < n; i++) {
    const t = from + i * step
    while (j < s.length && s[j]!.time < t - step / 2) j++
    let best = NaN; let bestD = Infinity
    for (let k = j; k < s.length && s[k]!.time <= t + step / 2; k++) {
      const dd = Math.abs(s[k]!.time - t)
      if (dd < bestD) { bestD = dd; best = s[k]!.level }
    }
    g[i] = best
  }
  return g
}

function errors (ours: Float64Array, ref: Float64Array, lag: number): { bias: number | null, rmse: number | null, n: number } {
  let n = 0; let sum = 0; let sq = 0
  for (let i = 0; i < ref.length; i++) {
    const o = ours[i + lag]; const r = ref[i]!
    if (o === undefined || Number.isNaN(o) || Number.isNaN(r)) continue
    n++; sum += o - r; sq += (o - r) ** 2
  }
  return n === 0 ? { bias: null, rmse: null, n } : { bias: sum / n, rmse: Math.sqrt(sq / n), n }
}

function correlation (ours: Float64Array, ref: Float64Array, lag: number): number | null {
  let n = 0; let sx = 0; let sy = 0; let sxx = 0; let syy = 0; let sxy = 0
  for (let i = 0; i < ref.length; i++) {
    const x = ref[i]!; const y = ours[i + lag]
    if (y === undefined || Number.isNaN(x) || Number.isNaN(y)) continue
    n++; sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y
  }
  if (n < 10) return null
  const cov = sxy - sx * sy / n
  const vx = sxx - sx * sx / n; const vy = syy - sy * sy / n
  return vx <= 0 || vy <= 0 ? null : cov / Math.sqrt(vx * vy)
}

/** upward crossings: the first slot at or above t after one below it */
function crossingsOf (g: Float64Array, from: number, step: number, t: number): number[] {
  const out: number[] = []
  let below: boolean | null = null
  for (let i = 0; i < g.length; i++) {
    const v = g[i]!
    if (Number.isNaN(v)) continue
    if (v >= t && below === true) out.push(from + i * step)
    below = v < t
  }
  return out
}

/**
 * 精度評価: one of our gauges against a co-located reference series over a window — bias, RMSE,
 * lag by cross-correlation, agreement of threshold crossings and missing data. Both series are put on
 * the reference's grid without interpolation (a slot without a reading within half a step is missing).
 */
export function evaluateAccuracy (ours: Point[], reference: Point[], o: EvaluateOptions = {}): AccuracyReport {
  const step = o.stepMs ?? medianStep(reference)
  const from = o.from ?? Math.max(ours[0]?.time ?? 0, reference[0]?.time ?? 0)
  const to = o.to ?? Math.min(ours.at(-1)?.time ?? 0, reference.at(-1)?.time ?? 0)
  const n = Math.max(0, Math.floor((to - from) / step) + 1)
  const og = onGrid(ours, from, n, step)
  const rg = onGrid(reference, from, n, step)
  const maxLag = Math.max(0, Math.round((o.maxLagMs ?? 6 * 3_600_000) / step))
  let bestLag: number | null = null; let bestR = -Infinity
  for (let k = -maxLag; k <= maxLag; k++) {
    const r = correlation(og, rg, k)
    if (r !== null && r > bestR) { bestR = r; bestLag = k }
  }
  const e0 = errors(og, rg, 0)
  const eLag = bestLag === null ? { bias: null, rmse: null } : errors(og, rg, bestLag)
  const missO = countMissing(og); const missR = countMissing(rg)
  const tol = o.crossingToleranceMs ?? 3 * 3_600_000
  const crossings: CrossingMatch[] = []
  for (const t of o.thresholds ?? []) {
    const rc = crossingsOf(rg, from, step, t)
    const oc = crossingsOf(og, from, step, t)
    const used = new Set<number>()
    for (const r of rc) {
      let best: number | undefined
      for (const c of oc) if (!used.has(c) && Math.abs(c - r) <= tol && (best === undefined || Math.abs(c - r) < Math.abs(best - r))) best = c
      if (best === undefined) crossings.push({ threshold: t, outcome: 'miss', referenceTime: r, oursTime: null, offsetMs: null })
      else { used.add(best); crossings.push({ threshold: t, outcome: 'hit', referenceTime: r, oursTime: best, offsetMs: best - r }) }
    }
    for (const c of oc) if (!used.has(c)) crossings.push({ threshold: t, outcome: 'falseAlarm', referenceTime: null, oursTime: c, offsetMs: null })
  }
  return {
    window: { from, to },
    stepMs: step,
    pairs: e0.n,
    biasM: e0.bias,
    rmseM: e0.rmse,
    unbiasedRmseM: e0.rmse === null || e0.bias === null ? null : Math.sqrt(Math.max(0, e0.rmse ** 2 - e0.bias ** 2)),
    lagMs: bestLag === null ? null : bestLag * step,
    correlationAtLag: bestLag === null ? null : bestR,
    atLag: { biasM: eLag.bias, rmseM: eLag.rmse },
    missingShare: { ours: n === 0 ? 1 : missO / n, reference: n === 0 ? 1 : missR / n },
    crossings
  }
}

function countMissing (g: Float64Array): number {
  let m = 0
  for (const v of g) if (Number.isNaN(v)) m++
  return m
}
