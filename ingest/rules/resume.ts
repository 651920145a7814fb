import { alertKey, type Alerts } from '../../alerts/index.js'
import type { Config } from '../../core/config/schema.js'
import type { Alert, Reading, Station } from '../../core/types.js'
import { THRESHOLD_RULES } from '../../core/river/thresholds.js'
import type { Store } from '../../store/store.js'
import { ruleSettings } from './settings.js'
import { RIVER_KIND, refOf, signalOf, type StationState } from './state.js'

/** a frame without a level: the gauge talks but measures nothing, a sensor fault (センサー異常) */
export function missingLevel (config: Config, alerts: Alerts, station: Station, st: StationState, r: Reading): void {
  const o = ruleSettings(config, station)
  st.missing++
  if (st.missing >= config.river.rules.sensorFaultAfterMissing && alerts.findOpen(refOf(station, o, 'sensorFault')) === undefined) {
    alerts.raise(signalOf(station, o, 'sensorFault', {
      severity: 'moderate',
      title: `${station.name}: センサー異常 (欠測) / ${station.nameEn}: sensor fault (no level)`,
      message: `${st.missing} 回連続で水位なし`,
      details: { missingFrames: st.missing, deviceFlags: r.deviceFlags, readingTime: new Date(r.time).toISOString() },
      time: r.time
    }))
  }
}

/**
 * Pick up where we left off: open alerts mean their conditions were active, the newest stored reading is the baseline for silence.
 * The open river alerts are read in one query, not one per station and rule (8 per station: 80 000 queries for a
 * 10 000-station fleet, a second of the start in a reconnect storm).
 */
export async function resume (config: Config, store: Store, alerts: Alerts, stateOf: (id: string) => StationState): Promise<void> {
  const open = new Map(alerts.list({ state: ['pending', 'firing', 'acknowledged'], kind: RIVER_KIND, limit: Number.MAX_SAFE_INTEGER }).map(a => [a.key, a]))
  const openOf = (ref: Parameters<typeof alertKey>[0]): Alert | undefined => open.get(alertKey(ref))
  for (const station of store.listStations()) {
    const o = ruleSettings(config, station)
    const st = stateOf(station.id)
    for (const th of THRESHOLD_RULES) {
      const found = openOf(refOf(station, o, `threshold.${th.key}`))
      st.crossings.set(th.key, { active: found !== undefined, aboveSince: null, belowSince: null })
      if (found?.details.historical === true) st.historicalOpen.add(`threshold.${th.key}`)
    }
    st.rateActive = openOf(refOf(station, o, 'rateOfRise')) !== undefined
    st.forecastActive = openOf(refOf(station, o, 'forecast.danger')) !== undefined
    st.silentOpen = openOf(refOf(station, o, 'silent')) !== undefined
    // an open sensor fault is cleared by the next level, as before the restart
    if (openOf(refOf(station, o, 'sensorFault')) !== undefined) st.missing = config.river.rules.sensorFaultAfterMissing
  }
  for (const [stationId, r] of await store.latestReadings()) {
    const st = stateOf(stationId)
    st.lastTime = r.time
    st.lastLevel = r.level
  }
}
