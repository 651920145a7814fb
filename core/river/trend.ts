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

export interface TrendWindow {
  /** the nominal span (river.rules.trendWindowMinutes), ms */
  windowMs: number
  /** at least this many readings, reaching further back than windowMs at slow cadences */
  minReadings: number
  /** never further back than this, ms */
  maxMs: number
}

/**
 * Keeps `points` (oldest first, the newest just pushed) to the readings the trend
 * uses and returns their slope: the nominal window, widened to hold `minReadings`
 * readings at slow cadences (hourly data: the last 3 hours), never beyond `maxMs`.
 * Null until there are `minReadings` readings spanning at least half the window
 * (a slope from a few minutes of 1-minute data is mostly noise).
 */
export function trendSlope (points: Array<{ time: number, level: number }>, time: number, w: TrendWindow): number | null {
  while (points.length > 0 && points[0]!.time < time - w.maxMs) points.shift()
  const nth = points[points.length - w.minReadings]
  const from = Math.min(time - w.windowMs, nth?.time ?? Number.POSITIVE_INFINITY)
  // drop what neither the window nor the minimum count needs (keep a bounded buffer)
  while (points.length > w.minReadings && points[0]!.time < from) points.shift()
  if (points.length < w.minReadings) return null
  const span = time - points[0]!.time
  return span >= w.windowMs / 2 ? slopePerHour(points, w.minReadings) : null
}

/** The trend window of `river.rules` (one place, so the rules, the trends API and the advisory draft agree). */
export function trendWindowOf (rules: { trendWindowMinutes: number, trendMinReadings: number, trendMaxMinutes: number }): TrendWindow {
  return { windowMs: rules.trendWindowMinutes * 60_000, minReadings: rules.trendMinReadings, maxMs: rules.trendMaxMinutes * 60_000 }
}

/**
 * THE trend of a station, for every place that shows or writes one (the rules, the
 * trends API, the advisory draft): `trendSlope` over a copy of `points` — the same
 * cadence-aware window the rules use when given the station's TrendWindow — or null
 * ("unknown") while there is too little data: after a restart, a gap, or a new gauge.
 * Unknown is never "not rising". `points` sorted by time, usable readings only.
 */
export function windowTrend (points: ReadonlyArray<{ time: number, level: number }>, window: number | TrendWindow): number | null {
  const last = points.at(-1)
  if (last === undefined) return null
  const w = typeof window === 'number' ? { windowMs: window, minReadings: 3, maxMs: window } : window
  return trendSlope([...points], last.time, w)
}

export type TrendKey = 'rising' | 'steady' | 'falling' | 'unknown'

/** ±5 cm/h is "steady" (a gauge's noise over an hour) */
export function trendKey (rate: number | null): TrendKey {
  if (rate === null) return 'unknown'
  if (rate > 0.05) return 'rising'
  if (rate < -0.05) return 'falling'
  return 'steady'
}
