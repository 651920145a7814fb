import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { Reading, Station } from '../../core/types.js'
import type { Alerts, AlertSignal } from '../../alerts/index.js'
import { valueTrusted } from '../qc/index.js'
import type { Store } from '../../store/store.js'
import { ruleSettings, type RuleSettings } from './settings.js'
import { stepCrossing, THRESHOLD_RULES, type CrossingState } from '../../core/river/thresholds.js'
import { hoursToReach, slopePerHour } from '../../core/river/trend.js'
import { supports } from '../../core/river/band.js'
import type { AppliedThresholds } from '../../core/fleet/types.js'

export { ruleSettings, type RuleSettings } from './settings.js'
export { stepCrossing, THRESHOLD_RULES, type CrossingState } from '../../core/river/thresholds.js'
export { hoursToReach, slopePerHour } from '../../core/river/trend.js'
export { createBandTracker, liveBand, supports, type BandTracker } from '../../core/river/band.js'

export const RIVER_KIND = 'river'

/** the revision in force at `time` and what an alert records of it (details.thresholds) */
function appliedThresholds (store: Store, station: Station, time: number): { thresholds: Station['thresholds'], record: AppliedThresholds } {
  const rev = store.fleet.thresholdsAt(station.id, time)
  const thresholds = rev?.thresholds ?? station.thresholds
  return { thresholds, record: { ...thresholds, revision: rev?.revision ?? 0, validFrom: new Date(rev?.validFrom ?? 0).toISOString(), source: rev?.source ?? 'station document' } }
}

export interface RiverRules {
  start(): Promise<void>
  close(): Promise<void>
  /** what the bus listener calls; public so tests can drive the rules without a broker */
  process(reading: Reading): void
  /** raise `silent` for stations quiet too long; called on a timer, public for tests and replay */
  checkSilence(now?: number): void
}

export interface RiverRulesDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  alerts: Alerts
  /** ms since epoch; a replay passes its data clock */
  clock?: (() => number) | undefined
}

interface StationState {
  /** newest data time seen (any flag): silence is about the station talking at all */
  lastTime: number | null
  /** newest trusted level */
  lastLevel: number | null
  /** a suspect reading waiting for the next one to confirm it */
  held: { reading: Reading, before: number | null } | undefined
  crossings: Map<string, CrossingState>
  trend: Array<{ time: number, level: number }>
  rateActive: boolean
  forecastActive: boolean
  /** frames in a row without a level (QC flag 9) */
  missing: number
  /** a `silent` alert may be open: only then does a reading clear it (no alert transaction per reading) */
  silentOpen: boolean
}

/**
 * River alert rules, a consumer of `reading` bus events (ARCHITECTURE: rules as
 * a bus consumer): threshold crossings with hysteresis and dwell, rate of rise,
 * a 3-hour forecast to 氾濫危険水位, and stations gone silent. QC decides what a
 * reading is worth: failed ones are ignored; suspect ones wait for the next
 * reading to confirm them (ingest/qc `valueTrusted`).
 */
export function createRiverRules ({ config, logger, bus, store, alerts, clock = Date.now }: RiverRulesDeps): RiverRules {
  const log = logger.child({ component: 'rules', kind: RIVER_KIND })
  const states = new Map<string, StationState>()
  const key = {}
  let timer: NodeJS.Timeout | undefined

  const stateOf = (stationId: string): StationState => {
    let s = states.get(stationId)
    if (s === undefined) {
      s = { lastTime: null, lastLevel: null, held: undefined, crossings: new Map(), trend: [], rateActive: false, forecastActive: false, missing: 0, silentOpen: false }
      states.set(stationId, s)
    }
    return s
  }

  const signal = (station: Station, o: RuleSettings, rule: string, rest: Omit<AlertSignal, 'kind' | 'subjectId' | 'rule' | 'drill'>): AlertSignal =>
    ({ kind: RIVER_KIND, subjectId: station.id, rule, drill: o.drill, ...rest })
  const ref = (station: Station, o: RuleSettings, rule: string): { kind: string, subjectId: string, rule: string, drill: boolean } =>
    ({ kind: RIVER_KIND, subjectId: station.id, rule, drill: o.drill })

  function evaluate (station: Station, st: StationState, r: Reading): void {
    // the thresholds in force at the reading's time (fleet registry, effective-dated), recorded on every alert
    const applied = appliedThresholds(store, station, r.time)
    const t = applied.thresholds
    const o = ruleSettings(config, { ...station, thresholds: t })
    const x = r.level
    const time = r.time

    for (const th of THRESHOLD_RULES) {
      const value = t[th.key]
      let cs = st.crossings.get(th.key)
      if (cs === undefined) {
        cs = { active: false, aboveSince: null, belowSince: null }
        st.crossings.set(th.key, cs)
      }
      const step = stepCrossing(cs, x, time, value, o)
      const rule = `threshold.${th.key}`
      if (step === 'raise' || step === 'pending') {
        alerts.raise(signal(station, o, rule, {
          severity: th.severity,
          title: `${station.name}: ${th.ja} 到達 / ${station.nameEn}: ${th.en} reached`,
          message: `水位 ${x.toFixed(2)} m ≥ ${th.ja} ${value.toFixed(2)} m`,
          details: { level: x, threshold: value, thresholdName: th.key, readingTime: new Date(time).toISOString(), thresholds: applied.record },
          time
        }), { confirmed: step === 'raise' })
      } else if (step === 'clear') {
        alerts.clear(ref(station, o, rule), { time })
      } else if (step === 'cancel') {
        alerts.clear(ref(station, o, rule), { time, resolution: 'unconfirmed' })
      }
    }

    st.trend.push({ time, level: x })
    while (st.trend.length > 0 && st.trend[0]!.time < time - o.trendWindowMs) st.trend.shift()
    const span = st.trend.length > 0 ? time - st.trend[0]!.time : 0
    // A slope from a few minutes of data is mostly noise; wait for half the window.
    const slope = span >= o.trendWindowMs / 2 ? slopePerHour(st.trend) : null

    // rate of rise (急激な水位上昇), only once the river is at 観測開始水位
    const rising = slope !== null && slope >= o.rateOfRiseMPerHour && x >= o.gateLevel
    if (rising && !st.rateActive) {
      st.rateActive = true
      alerts.raise(signal(station, o, 'rateOfRise', {
        severity: 'moderate',
        title: `${station.name}: 急激な水位上昇 / ${station.nameEn}: rapid rise`,
        message: `上昇速度 ${slope.toFixed(2)} m/h`,
        details: { level: x, slopeMPerHour: slope, limitMPerHour: o.rateOfRiseMPerHour, thresholds: applied.record },
        time
      }))
    } else if (st.rateActive && (slope === null || slope < o.rateOfRiseMPerHour / 2 || x < o.gateLevel - o.hysteresisM)) {
      st.rateActive = false
      alerts.clear(ref(station, o, 'rateOfRise'), { time })
    }

    // forecast: MLIT issues 氾濫危険情報 when 氾濫危険水位 is expected within 3 hours
    const eta = hoursToReach(x, slope, t.danger)
    const etaMs = eta === null ? null : eta * 3_600_000
    if (etaMs !== null && etaMs <= o.forecastHorizonMs && x >= o.gateLevel && !st.forecastActive) {
      st.forecastActive = true
      alerts.raise(signal(station, o, 'forecast.danger', {
        severity: 'severe',
        title: `${station.name}: 3時間以内に氾濫危険水位到達の見込み / ${station.nameEn}: flood danger level expected within ${(o.forecastHorizonMs / 3_600_000).toFixed(0)} h`,
        message: `約${Math.round(etaMs / 60_000)}分後に ${t.danger.toFixed(2)} m 到達見込み (上昇 ${slope!.toFixed(2)} m/h)`,
        details: { level: x, target: t.danger, etaMinutes: Math.round(etaMs / 60_000), expectedAt: new Date(time + etaMs).toISOString(), slopeMPerHour: slope, thresholds: applied.record },
        time
      }))
    } else if (st.forecastActive) {
      if (x >= t.danger) {
        st.forecastActive = false
        alerts.clear(ref(station, o, 'forecast.danger'), { time, resolution: 'reached' })
      } else if (etaMs === null || etaMs > o.forecastHorizonMs * 1.25) {
        st.forecastActive = false
        alerts.clear(ref(station, o, 'forecast.danger'), { time })
      }
    }
    st.lastLevel = x
  }

  function process (r: Reading): void {
    const station = store.getStation(r.stationId)
    if (station === undefined) return
    const st = stateOf(station.id)
    // Older than what we have (store-and-forward backlog, out-of-order): kept in the
    // store and the API, but the current state of the river is about the newest data.
    if (st.lastTime !== null && r.time <= st.lastTime) return
    st.lastTime = r.time
    const o = ruleSettings(config, station)
    if (st.silentOpen) {
      alerts.clear(ref(station, o, 'silent'), { time: r.time })
      st.silentOpen = false
    }
    // 点検中 (maintenance): the reading is stored, no alert is raised; the level is the baseline afterwards
    if (station.state === 'maintenance' || station.state === 'retired') {
      if (Number.isFinite(r.level) && (r.qc?.flag ?? 1) !== 4) st.lastLevel = r.level
      return
    }

    const flag = r.qc?.flag ?? 1
    if (flag === 9 || !Number.isFinite(r.level)) {
      // The gauge talks but measures nothing: not silent, a sensor fault (センサー異常).
      st.missing++
      if (st.missing >= config.river.rules.sensorFaultAfterMissing && alerts.findOpen(ref(station, o, 'sensorFault')) === undefined) {
        alerts.raise(signal(station, o, 'sensorFault', {
          severity: 'moderate',
          title: `${station.name}: センサー異常 (欠測) / ${station.nameEn}: sensor fault (no level)`,
          message: `${st.missing} 回連続で水位なし`,
          details: { missingFrames: st.missing, deviceFlags: r.deviceFlags, readingTime: new Date(r.time).toISOString() },
          time: r.time
        }))
      }
      return
    }
    if (st.missing > 0) {
      st.missing = 0
      alerts.clear(ref(station, o, 'sensorFault'), { time: r.time })
    }
    if (flag === 4) return // failed readings never trigger (or clear) anything
    const trusted = valueTrusted(r.qc)
    if (st.held !== undefined) {
      const held = st.held
      st.held = undefined
      if (trusted && supports(held.reading.level, held.before, r.level)) evaluate(station, st, held.reading)
    }
    if (flag === 1) evaluate(station, st, r)
    else st.held = { reading: r, before: st.lastLevel }
  }

  function checkSilence (now = clock()): void {
    for (const station of store.listStations()) {
      const st = states.get(station.id)
      if (st?.lastTime == null) continue
      if (station.state === 'maintenance' || station.state === 'retired') continue
      const o = ruleSettings(config, station)
      const limit = st.lastLevel !== null && st.lastLevel >= o.gateLevel ? o.silentObserveMs : o.silentAfterMs
      // refreshed here too: in cluster mode another worker may have raised it
      st.silentOpen = alerts.findOpen(ref(station, o, 'silent')) !== undefined
      if (now - st.lastTime > limit && !st.silentOpen) {
        st.silentOpen = true
        alerts.raise(signal(station, o, 'silent', {
          severity: 'minor',
          title: `${station.name}: 観測局無応答 / ${station.nameEn}: station silent`,
          message: `最終受信 ${new Date(st.lastTime).toISOString()}`,
          details: { lastReadingAt: new Date(st.lastTime).toISOString(), silentMinutes: Math.round((now - st.lastTime) / 60_000), limitMinutes: Math.round(limit / 60_000) },
          time: now
        }))
      }
    }
  }

  return {
    process,
    checkSilence,
    async start () {
      // Pick up where we left off: open alerts mean their conditions were active,
      // and the newest stored reading is the baseline for silence.
      for (const station of store.listStations()) {
        const o = ruleSettings(config, station)
        const st = stateOf(station.id)
        for (const th of THRESHOLD_RULES) {
          const active = alerts.findOpen(ref(station, o, `threshold.${th.key}`)) !== undefined
          st.crossings.set(th.key, { active, aboveSince: null, belowSince: null })
        }
        st.rateActive = alerts.findOpen(ref(station, o, 'rateOfRise')) !== undefined
        st.forecastActive = alerts.findOpen(ref(station, o, 'forecast.danger')) !== undefined
        st.silentOpen = alerts.findOpen(ref(station, o, 'silent')) !== undefined
        // an open sensor fault is cleared by the next level, as before the restart
        if (alerts.findOpen(ref(station, o, 'sensorFault')) !== undefined) st.missing = config.river.rules.sensorFaultAfterMissing
      }
      for (const [stationId, r] of await store.latestReadings()) {
        const st = stateOf(stationId)
        st.lastTime = r.time
        st.lastLevel = r.level
      }
      bus.on('reading', key, ({ reading }) => { process(reading) })
      bus.on('missingReading', key, ({ reading }) => { process(reading) })
      timer = setInterval(() => {
        try {
          checkSilence()
        } catch (err) {
          log.error({ err }, 'silence check failed')
        }
      }, config.river.rules.checkIntervalMs)
      timer.unref()
      log.info({ stations: store.listStations().length }, 'river rules started')
    },
    async close () {
      bus.removeListeners(key)
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
    }
  }
}

