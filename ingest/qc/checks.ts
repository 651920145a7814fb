import type { QcFlag, ReadingQc } from '../../core/types.js'
import { CONTEXT_TESTS, QC_FAIL, QC_MISSING, QC_PASS, QC_SUSPECT, valueTrusted } from '../../core/river/qc-flags.js'
import { jumpLimitM, rateLimitM } from '../../core/river/qc-limits.js'

export { CONTEXT_TESTS, QC_FAIL, QC_MISSING, QC_PASS, QC_SUSPECT, valueTrusted }

/**
 * QARTOD-style quality control of one gauge series (IOOS QARTOD manual for
 * water level: gross range, spike, rate of change, flat line), plus the tests a
 * low-cost ultrasonic gauge needs: low battery, obstruction (an object under
 * the sensor reads as a sudden jump toward it), late and out-of-order frames.
 *
 * Pure and synchronous: `checkSample` takes the station's QC state and one
 * sample and returns the verdict plus revisions of earlier readings (a spike
 * is only known for sure when the next reading comes back down).
 */
export interface QcSettings {
  minLevel: number
  /** sensor face − maximum range: a level at or below it is the sensor's no-echo value (gross range fail) */
  noEchoLevel?: number
  maxLevel: number
  /** physical limits of the station type (core/river/qc-limits.ts): steps are judged per time since the last good reading */
  noiseM: number
  maxRateMPerHour: number
  jumpM: number
  jumpRateMPerHour: number
  obstructionMaxMinutes: number
  /** readings within this of an episode's echo level belong to the echo, m */
  echoToleranceM: number
  /** an episode ends when no echo was seen for this long, min */
  obstructionQuietMinutes: number
  flatLineMinutes: number
  flatLineMinReadings: number
  batterySuspectV: number
  batteryFailV: number
  lateAfterMs: number
}

export interface QcSample {
  time: number
  receivedAt: number
  /** null: the device measured nothing (flag 9) */
  level: number | null
  batteryV: number | null
  /** device says its battery is low (frame flag) */
  deviceLowBattery?: boolean
}

export interface QcRevision {
  time: number
  qc: ReadingQc
}

export interface QcResult {
  qc: ReadingQc
  /** earlier readings whose verdict changed because of this one */
  revisions: QcRevision[]
  /** same time as an already evaluated sample: a duplicate, state untouched */
  duplicate: boolean
}

interface Point { time: number, level: number }

/**
 * An open jump: the level left `baseline` by more than the jump limit and has
 * not come back. Distance sensors with something under them alternate between
 * the true (dry) distance and a fixed short echo: once the level has come back
 * while echoes go on, the episode is `confirmed` and every later reading at the
 * echo level fails at once, while the genuine readings in between pass.
 */
interface Episode {
  baseline: Point
  direction: 1 | -1
  startTime: number
  /** the level the echo sits at (first reading of the jump) */
  echoLevel: number
  lastEchoTime: number
  /** the level came back to the baseline at least once while the echo went on */
  confirmed: boolean
  /** echo readings not yet decided (suspect), for the revisions */
  pending: Array<{ time: number, level: number, qc: ReadingQc }>
  /** every echo reading stayed at the echo level: an object, not water */
  fixed: boolean
}

export interface QcState {
  /** newest in-order time evaluated */
  maxTime: number
  lastResult: { time: number, result: QcResult } | undefined
  /** last reading that passed the value tests (reference for jumps and rates) */
  lastGood: Point | undefined
  /** recent in-order, non-failed readings (flat line) */
  recent: Point[]
  episode: Episode | undefined
}

export function createQcState (seed: Point[] = []): QcState {
  const sorted = [...seed].sort((a, b) => a.time - b.time)
  const last = sorted.at(-1)
  return { maxTime: last?.time ?? Number.NEGATIVE_INFINITY, lastResult: undefined, lastGood: last, recent: sorted.slice(-50), episode: undefined }
}

export function aggregate (tests: Record<string, QcFlag>): QcFlag {
  let worst: QcFlag = QC_PASS
  // for…in over a plain record: no Object.values array per reading
  for (const k in tests) {
    const f = tests[k]!
    if (rank(f) > rank(worst)) worst = f
  }
  return worst
}

/** the revisions of a reading that revises nothing (nearly every one): shared, read-only */
const NO_REVISIONS: QcRevision[] = []
Object.freeze(NO_REVISIONS)

/** 9 (missing) outranks nothing but pass: a missing value has no value to be bad */
function rank (f: QcFlag): number {
  return f === 4 ? 4 : f === 3 ? 3 : f === 9 ? 2 : f === 2 ? 1 : 0
}

const MIN = 60_000

export function checkSample (state: QcState, s: QcSample, q: QcSettings): QcResult {
  if (state.lastResult !== undefined && state.lastResult.time === s.time) {
    return { ...state.lastResult.result, revisions: [], duplicate: true }
  }
  const tests: Record<string, QcFlag> = {}
  const done = (revisions: QcRevision[] = NO_REVISIONS): QcResult => ({ qc: { flag: aggregate(tests), tests }, revisions, duplicate: false })
  if (s.level === null || !Number.isFinite(s.level)) {
    tests.missing = QC_MISSING
    return done()
  }
  const level = s.level

  // context tests
  if (s.batteryV !== null && s.batteryV < q.batteryFailV) tests.lowBattery = QC_FAIL
  else if ((s.batteryV !== null && s.batteryV < q.batterySuspectV) || s.deviceLowBattery === true) tests.lowBattery = QC_SUSPECT
  if (s.receivedAt - s.time > q.lateAfterMs) tests.late = QC_SUSPECT

  // gross range: outside what the site can physically show
  // (0.5 mm: the frame carries millimetres, so "at" the no-echo level includes its rounding)
  if (level < q.minLevel || level > q.maxLevel || level <= (q.noEchoLevel ?? Number.NEGATIVE_INFINITY) + 0.0005) tests.grossRange = QC_FAIL

  if (s.time < state.maxTime) {
    // An old frame (store-and-forward backlog) arriving after newer ones: its value is
    // judged on range alone; the sequence tests and state belong to the newest data.
    tests.outOfOrder = QC_SUSPECT
    return done()
  }
  state.maxTime = s.time
  if (tests.grossRange !== undefined) return remember(state, s.time, done())

  let ref = state.lastGood
  let mayOpen = true
  const ep = state.episode
  // only an open episode revises earlier readings
  const revisions: QcRevision[] = ep === undefined ? NO_REVISIONS : []
  if (ep !== undefined && s.time - ep.lastEchoTime > q.obstructionQuietMinutes * MIN && ep.pending.length === 0) state.episode = undefined
  else if (ep !== undefined) {
    const echo = episodeStep(state, ep, level, s.time, q, revisions)
    if (echo === 'echo') {
      tests[ep.direction > 0 ? 'obstruction' : 'dropout'] = ep.confirmed ? QC_FAIL : QC_SUSPECT
      const result = done(revisions)
      if (!ep.confirmed) ep.pending.push({ time: s.time, level, qc: result.qc })
      return remember(state, s.time, result)
    }
    if (echo === 'accepted') {
      // It stayed and kept moving: real water (or a lasting change an operator must look
      // at). Measure rates from the last reading of the episode, not the old baseline.
      ref = state.lastGood
      mayOpen = false
    }
    // 'genuine': the reading is the true level between echoes; judged as any other below
  }

  if (ref !== undefined && s.time > ref.time) {
    const delta = level - ref.level
    const dt = s.time - ref.time
    if (Math.abs(delta) > rateLimitM(dt, q)) tests.rateOfChange = QC_SUSPECT
    if (Math.abs(delta) > jumpLimitM(dt, q) && mayOpen) {
      // A step this large for the time it took: water does not do that at a gauge site;
      // objects, echoes and telemetry faults do.
      const direction = delta > 0 ? 1 : -1
      tests[direction > 0 ? 'obstruction' : 'dropout'] = QC_SUSPECT
      const result = done(revisions)
      state.episode = { baseline: ref, direction, startTime: s.time, echoLevel: level, lastEchoTime: s.time, confirmed: false, pending: [{ time: s.time, level, qc: result.qc }], fixed: true }
      return remember(state, s.time, result)
    }
  }

  // flat line: a stuck sensor repeats itself to the millimetre
  if (flatLine(state.recent, s.time, level, q)) tests.flatLine = QC_SUSPECT

  const result = done(revisions)
  if (result.qc.flag !== QC_FAIL) {
    const here: Point = { time: s.time, level }
    state.recent.push(here)
    const cutoff = s.time - q.flatLineMinutes * MIN * 1.1
    while (state.recent.length > 2 && (state.recent[0]!.time < cutoff || state.recent.length > 2000)) state.recent.shift()
    // a fast but plausible change (rate of change only) still becomes the new reference,
    // otherwise a real steep rise would be compared with an ever older level
    state.lastGood = here
  }
  return remember(state, s.time, result)
}

/**
 * A stuck sensor: the last flatLineMinutes (at least flatLineMinReadings readings, spanning 90 % of
 * the window) all equal `level` to the millimetre. `recent` is in time order (seeded sorted, appended
 * in order), so the window is a suffix found by binary search, and the comparison walks back from the
 * newest point and stops at the first that differs: a river that moves costs a step or two, not the
 * whole window (720 one-minute points by default), and no array is built.
 */
function flatLine (recent: readonly Point[], time: number, level: number, q: QcSettings): boolean {
  const windowStart = time - q.flatLineMinutes * MIN
  let lo = 0
  let hi = recent.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (recent[mid]!.time < windowStart) lo = mid + 1
    else hi = mid
  }
  const oldest = recent[lo]
  const n = recent.length - lo
  if (oldest === undefined || n + 1 < q.flatLineMinReadings || time - oldest.time < q.flatLineMinutes * MIN * 0.9) return false
  const mm = Math.round(level * 1000)
  for (let i = recent.length - 1; i >= lo; i--) if (Math.round(recent[i]!.level * 1000) !== mm) return false
  return true
}

/**
 * One in-order reading while an episode is open: `echo` (at the echo level, or not
 * explainable from the true level), `genuine` (the true level: back at the baseline
 * or a plausible step from the last good reading) or `accepted` (the jump stayed and
 * moved like water for obstructionMaxMinutes: the episode becomes the new level).
 */
function episodeStep (state: QcState, ep: Episode, level: number, time: number, q: QcSettings, revisions: QcRevision[]): 'echo' | 'genuine' | 'accepted' {
  const good = state.lastGood ?? ep.baseline
  const atEcho = Math.abs(level - ep.echoLevel) <= q.echoToleranceM
  const fromGood = Math.abs(level - good.level) <= jumpLimitM(time - good.time, q)
  if (!atEcho && fromGood && Math.abs(level - good.level) < Math.abs(level - ep.echoLevel)) {
    // Back at the true level: the pending echoes were artefacts, not water.
    const name = !ep.confirmed && ep.pending.length === 1 ? 'spike' : ep.direction > 0 ? 'obstruction' : 'dropout'
    for (const r of ep.pending) {
      const t: Record<string, QcFlag> = { ...r.qc.tests }
      delete t.obstruction
      delete t.dropout
      t[name] = QC_FAIL
      revisions.push({ time: r.time, qc: { flag: aggregate(t), tests: t } })
    }
    ep.pending = []
    ep.confirmed = true
    return 'genuine'
  }
  if (!atEcho) ep.fixed = false
  if (!ep.confirmed && !ep.fixed && time - ep.startTime > q.obstructionMaxMinutes * MIN) {
    // never came back and did not sit at one echo distance: water, not an object
    state.episode = undefined
    state.lastGood = { time, level }
    return 'accepted'
  }
  ep.lastEchoTime = time
  return 'echo'
}

function remember (state: QcState, time: number, result: QcResult): QcResult {
  state.lastResult = { time, result }
  return result
}
