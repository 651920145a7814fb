import type { Config } from '../../core/config/schema.js'
import type { Station } from '../../core/types.js'

export interface RuleSettings {
  hysteresisM: number
  raiseDwellMs: number
  clearDwellMs: number
  rateOfRiseMPerHour: number
  trendWindowMs: number
  forecastHorizonMs: number
  silentAfterMs: number
  silentObserveMs: number
  /** rate of rise, forecast and the short silence limit apply only at or above this level (観測開始水位) */
  gateLevel: number
  drill: boolean
}

/** Global `river.rules` with the station's tuning on top. */
export function ruleSettings (config: Config, station: Station): RuleSettings {
  const g = config.river.rules
  const t = station.tuning ?? {}
  return {
    hysteresisM: t.hysteresisM ?? g.hysteresisM,
    raiseDwellMs: g.raiseDwellMinutes * 60_000,
    clearDwellMs: g.clearDwellMinutes * 60_000,
    rateOfRiseMPerHour: t.rateOfRiseMPerHour ?? g.rateOfRiseMPerHour,
    trendWindowMs: g.trendWindowMinutes * 60_000,
    forecastHorizonMs: g.forecastHorizonHours * 3_600_000,
    silentAfterMs: (t.silentAfterMinutes ?? g.silentAfterMinutes) * 60_000,
    silentObserveMs: g.silentObserveMinutes * 60_000,
    gateLevel: station.thresholds.observationStart ?? station.thresholds.standby,
    // a drill station (訓練局) raises drills whatever the global setting
    drill: g.drill || station.drill === true
  }
}
