import type { RecordedPoint } from './csv.js'

/**
 * The true water level between recorded points: linear interpolation, the
 * least-assuming reconstruction of an hourly or 10-minute record. Before the
 * first / after the last point the level is held. The gauge model samples this.
 */
export function interpolated (points: readonly RecordedPoint[]): (time: number) => number {
  if (points.length === 0) throw new Error('empty hydrograph')
  return time => {
    if (time <= points[0]!.time) return points[0]!.level
    const last = points[points.length - 1]!
    if (time >= last.time) return last.level
    let lo = 0
    let hi = points.length - 1
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (points[mid]!.time <= time) lo = mid
      else hi = mid
    }
    const a = points[lo]!
    const b = points[hi]!
    return a.level + (b.level - a.level) * (time - a.time) / (b.time - a.time)
  }
}

/**
 * Upward crossings of `threshold` by the true level, as an operator would count
 * them: a new crossing only after the level fell below threshold − hysteresis.
 * Exact times by solving the interpolation segment.
 */
export function upwardCrossings (points: readonly RecordedPoint[], threshold: number, hysteresis = 0): number[] {
  const out: number[] = []
  let armed = points.length > 0 && points[0]!.level < threshold
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    if (armed && a.level < threshold && b.level >= threshold) {
      out.push(a.time + (threshold - a.level) / (b.level - a.level) * (b.time - a.time))
      armed = false
    }
    if (!armed && b.level < threshold - hysteresis) armed = true
  }
  return out
}
