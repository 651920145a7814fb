import type { Config } from '../../core/config/schema.js'
import type { Station } from '../../core/types.js'
import type { Store } from '../../store/store.js'
import { TYPE_DEFAULTS, type TypeLimits } from '../../core/river/qc-limits.js'
import { resolveProfiles, type DeviceProfile } from '../../codecs/vendor/profiles.js'
import { checkSample, createQcState, type QcResult, type QcSample, type QcSettings, type QcState } from './checks.js'

export { checkSample, createQcState, valueTrusted, CONTEXT_TESTS, QC_PASS, QC_SUSPECT, QC_FAIL, QC_MISSING } from './checks.js'
export type { QcResult, QcSample, QcSettings, QcState, QcRevision } from './checks.js'

/** The station type's limits (`river.qc.types`), the older global overrides, then the station's own tuning. */
export function typeLimits (config: Config, station: Station): TypeLimits {
  const type = station.type ?? 'river'
  const c = config.river.qc.types[type]
  const t = station.tuning ?? {}
  const d = TYPE_DEFAULTS[type]
  return {
    noiseM: t.noiseM ?? c.noiseM,
    maxRateMPerHour: t.maxRateMPerHour ?? config.river.qc.maxRateMPerHour ?? c.maxRateMPerHour,
    jumpM: t.jumpM ?? config.river.qc.jumpM ?? c.jumpM,
    jumpRateMPerHour: t.jumpRateMPerHour ?? c.jumpRateMPerHour,
    obstructionMaxMinutes: c.obstructionMaxMinutes,
    minLevel: t.minLevel ?? c.minLevel ?? d.minLevel,
    zeroLevel: t.zeroLevel ?? c.zeroLevel ?? d.zeroLevel
  }
}

/** Global `river.qc` settings for the station's type with the station's own tuning on top. */
export function qcSettings (config: Config, station: Station, profiles: ReadonlyMap<string, DeviceProfile> = resolveProfiles(config.lorawan.profiles)): QcSettings {
  const g = config.river.qc
  const battery = station.profile === undefined ? undefined : profiles.get(station.profile)?.battery
  const t = station.tuning ?? {}
  const l = typeLimits(config, station)
  return {
    minLevel: l.minLevel,
    // geometry: a distance at the sensor's maximum range is its no-echo value, never water
    noEchoLevel: station.sensorRangeM === undefined ? Number.NEGATIVE_INFINITY : station.sensorHeight - station.sensorRangeM,
    maxLevel: t.maxLevel ?? station.sensorHeight - g.blankingM,
    noiseM: l.noiseM,
    maxRateMPerHour: l.maxRateMPerHour,
    jumpM: l.jumpM,
    jumpRateMPerHour: l.jumpRateMPerHour,
    obstructionMaxMinutes: l.obstructionMaxMinutes,
    echoToleranceM: g.echoToleranceM,
    obstructionQuietMinutes: g.obstructionQuietMinutes,
    flatLineMinutes: g.flatLineMinutes,
    flatLineMinReadings: g.flatLineMinReadings,
    // a vendor sensor's own cells (its device profile) set its battery limits; ours are a 3.6 V lithium cell's
    batterySuspectV: battery?.suspectV ?? g.batterySuspectV,
    batteryFailV: battery?.failV ?? g.batteryFailV,
    lateAfterMs: config.ingest.lateAfterMs
  }
}

export interface QualityControl {
  /** the verdict; synchronous once the station's state is seeded (its first sample waits for the stored history) */
  check(station: Station, sample: QcSample): QcResult | Promise<QcResult>
}

/**
 * Per-station QC state for ingest. The first sample of a station seeds the
 * state from recent stored readings, so a restart does not forget the
 * reference level (and does not call the next reading a jump).
 */
export function createQualityControl ({ config, store }: { config: Config, store: Store }): QualityControl {
  const states = new Map<string, Promise<QcState>>()
  /** seeded states, so every later sample is checked without a promise */
  const ready = new Map<string, QcState>()
  /** settings per station document (a refreshed station is a new object: computed again) */
  const settings = new WeakMap<Station, QcSettings>()
  const profiles = resolveProfiles(config.lorawan.profiles)
  const settingsOf = (station: Station): QcSettings => {
    let q = settings.get(station)
    if (q === undefined) {
      q = qcSettings(config, station, profiles)
      settings.set(station, q)
    }
    return q
  }
  const stateOf = (station: Station, time: number): Promise<QcState> => {
    let p = states.get(station.id)
    if (p === undefined) {
      const windowMs = config.river.qc.flatLineMinutes * 60_000 * 1.1
      p = store.readings(station.id, { from: time - windowMs, to: time - 1, limit: 500, recent: true })
        .then(rows => createQcState(rows.filter(r => r.qc === undefined || r.qc.flag !== 4).map(r => ({ time: r.time, level: r.level }))))
        .catch(() => createQcState())
      const id = station.id
      void p.then(st => { ready.set(id, st) })
      states.set(station.id, p)
    }
    return p
  }
  return {
    check (station, sample) {
      const state = ready.get(station.id)
      if (state !== undefined) return checkSample(state, sample, settingsOf(station))
      return stateOf(station, sample.time).then(st => checkSample(st, sample, settingsOf(station)))
    }
  }
}
