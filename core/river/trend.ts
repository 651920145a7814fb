/** Least-squares slope of level over time, in metres per hour; null with too little to go on. */
export function slopePerHour (points: ReadonlyArray<{ time: number, level: number }>, minPoints = 3): number | null {
  if (points.length < minPoints) return null
  const t0 = points[0]!.time
  let st = 0
  let sl = 0
  for (const p of points) { st += (p.time - t0) / 3_600_000; sl += p.level }
  const mt = st / points.length
  const ml = sl / points.length
  let num = 0
  let den = 0
  for (const p of points) {
    const dt = (p.time - t0) / 3_600_000 - mt
    num += dt * (p.level - ml)
    den += dt * dt
  }
  return den === 0 ? null : num / den
}

/**
 * Time until `target` is reached if the recent trend goes on (linear
 * extrapolation, as the simplest defensible forecast for a single gauge with no
 * rainfall input). Hours; null when not rising or already there.
 */
export function hoursToReach (level: number, slope: number | null, target: number): number | null {
  if (slope === null || slope <= 0 || level >= target) return null
  return (target - level) / slope
}

/**
 * THE trend of a station, for every place that shows or writes one (the rules, the
 * trends API, the advisory draft): the least-squares slope over the last `windowMs`
 * of data, or null ("unknown") while less than half a window of data is there —
 * after a restart, a gap, or a new gauge. Unknown is never "not rising".
 * `points` sorted by time, usable readings only.
 */
export function windowTrend (points: ReadonlyArray<{ time: number, level: number }>, windowMs: number): number | null {
  const last = points.at(-1)
  if (last === undefined) return null
  const recent = points.filter(p => p.time >= last.time - windowMs)
  const span = last.time - recent[0]!.time
  return span >= windowMs / 2 ? slopePerHour(recent) : null
}

export type TrendKey = 'rising' | 'steady' | 'falling' | 'unknown'

/** ±5 cm/h is "steady" (a gauge's noise over an hour) */
export function trendKey (rate: number | null): TrendKey {
  if (rate === null) return 'unknown'
  if (rate > 0.05) return 'rising'
  if (rate < -0.05) return 'falling'
  return 'steady'
}
