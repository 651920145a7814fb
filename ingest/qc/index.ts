import type { Config } from '../../core/config/schema.js'
import type { Station } from '../../core/types.js'
import type { Store } from '../../store/store.js'
import { checkSample, createQcState, type QcResult, type QcSample, type QcSettings, type QcState } from './checks.js'

export { checkSample, createQcState, valueTrusted, CONTEXT_TESTS, QC_PASS, QC_SUSPECT, QC_FAIL, QC_MISSING } from './checks.js'
export type { QcResult, QcSample, QcSettings, QcState, QcRevision } from './checks.js'

/** Global `river.qc` settings with the station's own tuning on top. */
export function qcSettings (config: Config, station: Station): QcSettings {
  const g = config.river.qc
  const t = station.tuning ?? {}
  return {
    minLevel: t.minLevel ?? Number.NEGATIVE_INFINITY,
    // geometry: a distance at the sensor's maximum range is its no-echo value, never water
    noEchoLevel: station.sensorRangeM === undefined ? Number.NEGATIVE_INFINITY : station.sensorHeight - station.sensorRangeM,
    maxLevel: t.maxLevel ?? station.sensorHeight - g.blankingM,
    maxRateMPerHour: t.maxRateMPerHour ?? g.maxRateMPerHour,
    minDeltaM: g.minDeltaM,
    jumpM: t.jumpM ?? g.jumpM,
    obstructionMaxMinutes: g.obstructionMaxMinutes,
    flatLineMinutes: g.flatLineMinutes,
    flatLineMinReadings: g.flatLineMinReadings,
    batterySuspectV: g.batterySuspectV,
    batteryFailV: g.batteryFailV,
    lateAfterMs: config.ingest.lateAfterMs
  }
}

export interface QualityControl {
  check(station: Station, sample: QcSample): Promise<QcResult>
}

/**
 * Per-station QC state for ingest. The first sample of a station seeds the
 * state from recent stored readings, so a restart does not forget the
 * reference level (and does not call the next reading a jump).
 */
export function createQualityControl ({ config, store }: { config: Config, store: Store }): QualityControl {
  const states = new Map<string, Promise<QcState>>()
  const stateOf = (station: Station, time: number): Promise<QcState> => {
    let p = states.get(station.id)
    if (p === undefined) {
      const windowMs = config.river.qc.flatLineMinutes * 60_000 * 1.1
      p = store.readings(station.id, { from: time - windowMs, to: time - 1, limit: 500 })
        .then(rows => createQcState(rows.filter(r => r.qc === undefined || r.qc.flag !== 4).map(r => ({ time: r.time, level: r.level }))))
        .catch(() => createQcState())
      states.set(station.id, p)
    }
    return p
  }
  return {
    async check (station, sample) {
      const state = await stateOf(station, sample.time)
      return checkSample(state, sample, qcSettings(config, station))
    }
  }
}
