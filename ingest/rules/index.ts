import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { Reading, Station } from '../../core/types.js'
import { alertKey, type Alerts } from '../../alerts/index.js'
import { valueTrusted } from '../qc/index.js'
import type { Store } from '../../store/store.js'
import { cachedRuleSettings, ruleSettings } from './settings.js'
import { supports } from '../../core/river/band.js'
import { evaluateLevel } from './evaluate.js'
import { missingLevel, resume } from './resume.js'
import { checkStationSilence, gapSilence, noteInterval, silenceLimitMs } from './silence.js'
import { newStationState, refOf, RIVER_KIND, type StationState } from './state.js'
import type { AppliedThresholds, ThresholdRevision } from '../../core/fleet/types.js'

export { ruleSettings, type RuleSettings } from './settings.js'
export { stepCrossing, THRESHOLD_RULES, type CrossingState } from '../../core/river/thresholds.js'
export { hoursToReach, slopePerHour, trendSlope } from '../../core/river/trend.js'
export { createBandTracker, liveBand, supports, type BandTracker } from '../../core/river/band.js'
export { RIVER_KIND } from './state.js'

/** the revision in force at `time`: its thresholds (the station document's when there is none) */
function thresholdsAt (store: Store, station: Station, time: number): { rev: ThresholdRevision | undefined, thresholds: Station['thresholds'] } {
  const rev = store.fleet.thresholdsAt(station.id, time)
  return { rev, thresholds: rev?.thresholds ?? station.thresholds }
}

/** what an alert records of the revision (details.thresholds); built only when an alert is raised */
function appliedRecord (thresholds: Station['thresholds'], rev: ThresholdRevision | undefined): AppliedThresholds {
  return { ...thresholds, revision: rev?.revision ?? 0, validFrom: new Date(rev?.validFrom ?? 0).toISOString(), source: rev?.source ?? 'station document' }
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
  /** the process's one alert service, built (and closed) by the composition root (cli/) */
  alerts: Alerts
  /** ms since epoch; a replay passes its data clock */
  clock?: (() => number) | undefined
}

/**
 * River alert rules, a consumer of `reading` bus events (ARCHITECTURE: rules as
 * a bus consumer): threshold crossings with hysteresis and dwell, rate of rise,
 * a 3-hour forecast to 氾濫危険水位 (evaluate.ts), and stations gone silent, on a
 * timer and in data time (silence.ts). QC decides what a reading is worth: failed
 * ones are ignored; suspect ones wait for the next reading to confirm them
 * (ingest/qc `valueTrusted`).
 */
export function createRiverRules ({ config, logger, bus, store, alerts, clock = Date.now }: RiverRulesDeps): RiverRules {
  const alertsNow = alerts
  const log = logger.child({ component: 'rules', kind: RIVER_KIND })
  const states = new Map<string, StationState>()
  const maxLagMs = config.notify.historical.maxLagMinutes * 60_000
  const historicalAlerts = asHistory(alerts)
  const key = {}
  let timer: NodeJS.Timeout | undefined
  /** when start() ran (the clock's time), and the stations heard since: the silence grace after a start */
  let startedAt = Number.NEGATIVE_INFINITY
  const heardSinceStart = new Set<string>()
  const graceMs = config.river.rules.silentStartGraceMinutes * 60_000

  const stateOf = (stationId: string): StationState => states.get(stationId) ?? states.set(stationId, newStationState()).get(stationId)!

  const stationAt = createStationAt()

  /** the level rules at the thresholds in force at the reading's time (fleet registry, effective-dated), recorded on every alert */
  function evaluateAt (alerts: Alerts, station: Station, st: StationState, r: Reading): void {
    const { rev, thresholds } = thresholdsAt(store, station, r.time)
    const s = stationAt(station, thresholds)
    evaluateLevel(alerts, s, cachedRuleSettings(config, s), st, r, () => ({ thresholds: appliedRecord(thresholds, rev) }))
  }

  function process (r: Reading): void {
    const station = store.getStation(r.stationId)
    if (station === undefined) return
    heardSinceStart.add(station.id)
    const st = stateOf(station.id)
    // Older than what we have (store-and-forward backlog, out-of-order): kept in the
    // store and the API, but the current state of the river is about the newest data.
    if (st.lastTime !== null && r.time <= st.lastTime) return
    const o = cachedRuleSettings(config, station)
    // history (a backlog, a back-fill, a replay without shift) is judged but announced by nobody
    const alerts = Number.isFinite(r.receivedAt) && r.receivedAt - r.time > maxLagMs ? historicalAlerts : alertsNow
    st.historicalNow = alerts === historicalAlerts
    const limit = silenceLimitMs(st, o)
    gapSilence(alerts, station, o, st, r.time, limit)
    // the cadence is learnt from frames on a beat only: a 監視 (watch) frame is sent on change, and
    // the interval before a gauge's switch from 観測 back to 監視 is no promise of the next one
    if (r.mode === 'watch' || r.mode === 'maintenance') st.intervals = []
    else if (st.lastTime !== null && r.time - st.lastTime <= limit) noteInterval(st, r.time)
    st.lastTime = r.time
    if (st.silentOpen) {
      alerts.clear(refOf(station, o, 'silent'), { time: r.time })
      st.silentOpen = false
    }
    // 点検中 (maintenance): the reading is stored, no alert is raised; the level is the baseline afterwards
    if (station.state === 'maintenance' || station.state === 'retired') {
      if (Number.isFinite(r.level) && (r.qc?.flag ?? 1) !== 4) st.lastLevel = r.level
      return
    }

    const flag = r.qc?.flag ?? 1
    if (flag === 9 || !Number.isFinite(r.level)) {
      missingLevel(config, alerts, station, st, r)
      return
    }
    if (st.missing > 0) {
      st.missing = 0
      alerts.clear(refOf(station, o, 'sensorFault'), { time: r.time })
    }
    if (flag === 4) return // failed readings never trigger (or clear) anything
    const trusted = valueTrusted(r.qc)
    if (st.held !== undefined) {
      const held = st.held
      st.held = undefined
      if (trusted && supports(held.reading.level, held.before, r.level)) evaluateAt(alerts, station, st, held.reading)
    }
    // suspect only for its circumstances (late backlog, low battery): the value itself is trusted
    if (flag === 1 || trusted) evaluateAt(alerts, station, st, r)
    else st.held = { reading: r, before: st.lastLevel }
  }

  /**
   * Right after a start (a restart after a power cut), a station not heard since is not judged by
   * the timer until the grace has passed: while the platform was down nobody could hear it, and in
   * the reconnect storm its gauge may simply not be back yet. Without the grace, every station of a
   * fleet whose last reading is older than its limit was raised silent (an alert transaction and
   * notifications each) and cleared again by its first frame: a quarter of a 10 000-gauge storm's
   * CPU. A station silent before the restart keeps its open alert (resume); one heard since the
   * start is judged as always; a frame's own gap (gapSilence, data time) is not affected.
   */
  function checkSilence (now = clock()): void {
    const inGrace = now < startedAt + graceMs
    sweepSilence(config, store, alerts, now, id => inGrace && !heardSinceStart.has(id) ? undefined : states.get(id))
  }

  return {
    process,
    checkSilence,
    async start () {
      startedAt = clock()
      heardSinceStart.clear()
      await resume(config, store, alerts, stateOf)
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

/** the station as the rules see it at a revision: the document itself when the revision is its own thresholds */
function createStationAt (): (station: Station, thresholds: Station['thresholds']) => Station {
  const atRevision = new WeakMap<Station, { thresholds: Station['thresholds'], station: Station }>()
  return (station, thresholds) => {
    if (thresholds === station.thresholds) return station
    const hit = atRevision.get(station)
    if (hit !== undefined && hit.thresholds === thresholds) return hit.station
    const s = { ...station, thresholds }
    atRevision.set(station, { thresholds, station: s })
    return s
  }
}

/** the timer's silence check over every in-service station the rules may judge now (`judged` gives its state) */
function sweepSilence (config: Config, store: Store, alerts: Alerts, now: number, judged: (stationId: string) => StationState | undefined): void {
  const silentOpen = new Set(alerts.list({ state: ['pending', 'firing', 'acknowledged'], kind: RIVER_KIND, limit: Number.MAX_SAFE_INTEGER })
    .filter(a => a.rule === 'silent').map(a => a.key))
  for (const station of store.listStations()) {
    if (station.state === 'maintenance' || station.state === 'retired') continue
    const st = judged(station.id)
    if (st === undefined) continue
    const o = ruleSettings(config, station)
    checkStationSilence(alerts, station, o, st, now, silentOpen.has(alertKey(refOf(station, o, 'silent'))))
  }
}

/** the same alerts, marking what they raise as history (a reading received long after its time) */
function asHistory (alerts: Alerts): Alerts {
  return Object.assign(Object.create(alerts) as Alerts, {
    raise: ((signal, opts) => alerts.raise({ ...signal, historical: true }, opts)) satisfies Alerts['raise']
  })
}
