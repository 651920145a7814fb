import type { Config } from '../../core/config/schema.js'
import type { Station } from '../../core/types.js'
import { TYPE_DEFAULTS } from '../../core/river/qc-limits.js'
import { trendWindowOf, type TrendWindow } from '../../core/river/trend.js'

export interface RuleSettings {
  hysteresisM: number
  /** the sensor zero: a threshold's hysteresis never reaches it (core/river/qc-limits.ts effectiveHysteresis) */
  zeroLevel: number
  raiseDwellMs: number
  clearDwellMs: number
  rateOfRiseMPerHour: number
  trend: TrendWindow
  forecastHorizonMs: number
  silentAfterMs: number
  silentObserveMs: number
  silentMissedReports: number
  /** rate of rise, forecast and the short silence limit apply only at or above this level (観測開始水位) */
  gateLevel: number
  drill: boolean
}

/** per config and station document: a station refreshed from the store is a new object, so it is computed again */
const cache = new WeakMap<Config, WeakMap<Station, RuleSettings>>()

/**
 * `ruleSettings`, computed once per station document (the rules ask for it on every
 * reading; the settings are a pure function of the config and the station, both
 * replaced, never edited, when they change). Treat the result as read-only.
 */
export function cachedRuleSettings (config: Config, station: Station): RuleSettings {
  let byStation = cache.get(config)
  if (byStation === undefined) {
    byStation = new WeakMap()
    cache.set(config, byStation)
  }
  let o = byStation.get(station)
  if (o === undefined) {
    o = ruleSettings(config, station)
    byStation.set(station, o)
  }
  return o
}

/** Global `river.rules` with the station's tuning on top. */
export function ruleSettings (config: Config, station: Station): RuleSettings {
  const g = config.river.rules
  const t = station.tuning ?? {}
  const type = station.type ?? 'river'
  return {
    hysteresisM: t.hysteresisM ?? g.hysteresisM,
    zeroLevel: t.zeroLevel ?? config.river.qc.types[type].zeroLevel ?? TYPE_DEFAULTS[type].zeroLevel,
    raiseDwellMs: g.raiseDwellMinutes * 60_000,
    clearDwellMs: g.clearDwellMinutes * 60_000,
    rateOfRiseMPerHour: t.rateOfRiseMPerHour ?? g.rateOfRiseMPerHour,
    trend: trendWindowOf(g),
    forecastHorizonMs: g.forecastHorizonHours * 3_600_000,
    silentAfterMs: (t.silentAfterMinutes ?? g.silentAfterMinutes) * 60_000,
    silentObserveMs: g.silentObserveMinutes * 60_000,
    silentMissedReports: g.silentMissedReports,
    gateLevel: station.thresholds.observationStart ?? station.thresholds.standby,
    // a drill station (訓練局) raises drills whatever the global setting
    drill: g.drill || station.drill === true
  }
}
