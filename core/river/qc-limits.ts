/**
 * QC limits in physical rates, per station type (docs/river.md "Quality control").
 *
 * A step between two readings is judged against what water can do in the time
 * between them: `allowanceM + rate × Δt`. The same limits then give the same
 * verdicts at 1-minute, 10-minute, 15-minute and hourly data: a +0.3 m step is
 * a jump after one minute but an ordinary rise after an hour.
 */
export type StationType = 'river' | 'street'
export const STATION_TYPES: readonly StationType[] = ['river', 'street']

export interface TypeLimits {
  /** steps up to this are range noise whatever the interval, m */
  noiseM: number
  /** rate-of-change test: a step beyond noiseM + this × Δt is suspect, m/h */
  maxRateMPerHour: number
  /** jump test: a step beyond jumpM + jumpRateMPerHour × Δt opens a spike / obstruction episode, m */
  jumpM: number
  jumpRateMPerHour: number
  /** an episode whose level keeps moving (not a fixed echo) for this long is accepted as water, min */
  obstructionMaxMinutes: number
  /** gross range lower limit when the station sets none, m (−∞: none) */
  minLevel: number
  /** the sensor's zero: a hysteresis band never reaches to or below it, m (−∞: none) */
  zeroLevel: number
}

/**
 * Defaults per type. River gauge (MLIT 水位, 10-min / hourly): real steps reach
 * +0.31 m/h (額田, typhoon 2024) and tides +0.29 m/h; a 1 m step in 10 min is a
 * telemetry spike. Street-depth sensor (FloodNet-class ultrasonic, ~1 min): a
 * street floods by ≈ 1 m/h on average, in bursts of up to 0.18 m a minute (Carroll St
 * 2023-09-29: 0.91 m in 57 min) while an object under the sensor jumps 1.2 m in one reading.
 */
export const TYPE_DEFAULTS: Readonly<Record<StationType, TypeLimits>> = {
  river: { noiseM: 0.1, maxRateMPerHour: 2, jumpM: 0.5, jumpRateMPerHour: 2, obstructionMaxMinutes: 60, minLevel: Number.NEGATIVE_INFINITY, zeroLevel: Number.NEGATIVE_INFINITY },
  street: { noiseM: 0.1, maxRateMPerHour: 6, jumpM: 0.3, jumpRateMPerHour: 6, obstructionMaxMinutes: 60, minLevel: -0.3, zeroLevel: 0 }
}

const HOUR = 3_600_000

/** largest step that is not suspect after `dtMs` */
export function rateLimitM (dtMs: number, l: Pick<TypeLimits, 'noiseM' | 'maxRateMPerHour'>): number {
  return l.noiseM + l.maxRateMPerHour * Math.max(dtMs, 0) / HOUR
}

/** largest step that is not a jump after `dtMs` */
export function jumpLimitM (dtMs: number, l: Pick<TypeLimits, 'jumpM' | 'jumpRateMPerHour'>): number {
  return l.jumpM + l.jumpRateMPerHour * Math.max(dtMs, 0) / HOUR
}

/**
 * The hysteresis a threshold really uses: never so wide that the clear level
 * (threshold − h) reaches the sensor's zero, where a dry sensor would sit for
 * ever without clearing (depth alert at 0.05 m with 0.05 m hysteresis).
 */
export function effectiveHysteresis (threshold: number, hysteresisM: number, zeroLevel: number): number {
  if (!Number.isFinite(zeroLevel) || threshold - hysteresisM > zeroLevel) return hysteresisM
  return Math.max(0, (threshold - zeroLevel) / 2)
}
