import type { QcFlag, ReadingQc } from '../../core/types.js'
import { CONTEXT_TESTS, QC_FAIL, QC_MISSING, QC_PASS, QC_SUSPECT, valueTrusted } from '../../core/river/qc-flags.js'

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
  maxRateMPerHour: number
  minDeltaM: number
  jumpM: number
  obstructionMaxMinutes: number
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

/** An open jump: the level left `baseline` by ≥ jumpM in one step and has not come back. */
interface Episode {
  baseline: Point
  direction: 1 | -1
  startTime: number
  readings: Array<{ time: number, level: number, qc: ReadingQc }>
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
  for (const f of Object.values(tests)) if (rank(f) > rank(worst)) worst = f
  return worst
}

/** 9 (missing) outranks nothing but pass: a missing value has no value to be bad */
function rank (f: QcFlag): number {
  return f === 4 ? 4 : f === 3 ? 3 : f === 9 ? 2 : f === 2 ? 1 : 0
}

export function checkSample (state: QcState, s: QcSample, q: QcSettings): QcResult {
  if (state.lastResult !== undefined && state.lastResult.time === s.time) {
    return { ...state.lastResult.result, revisions: [], duplicate: true }
  }
  const tests: Record<string, QcFlag> = {}
  const done = (revisions: QcRevision[] = []): QcResult => {
    const result: QcResult = { qc: { flag: aggregate(tests), tests }, revisions, duplicate: false }
    return result
  }
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

  const revisions: QcRevision[] = []
  const ep = state.episode
  const here: Point = { time: s.time, level }
  let ref = state.lastGood
  let mayOpen = true
  if (ep !== undefined) {
    if (Math.abs(level - ep.baseline.level) < q.jumpM / 2) {
      // Back where it was: the whole excursion was an artefact, not water.
      const name = ep.readings.length === 1 ? 'spike' : ep.direction > 0 ? 'obstruction' : 'dropout'
      for (const r of ep.readings) {
        const t: Record<string, QcFlag> = { ...r.qc.tests }
        delete t.obstruction
        delete t.dropout
        t[name] = QC_FAIL
        revisions.push({ time: r.time, qc: { flag: aggregate(t), tests: t } })
      }
      state.episode = undefined
    } else if (s.time - ep.startTime > q.obstructionMaxMinutes * 60_000) {
      // It stayed: real water (or a lasting change an operator must look at). Accept it
      // and measure rates from the last reading of the episode, not the old baseline.
      state.episode = undefined
      const last = ep.readings.at(-1)!
      ref = { time: last.time, level: last.level }
      mayOpen = false
    } else {
      tests[ep.direction > 0 ? 'obstruction' : 'dropout'] = QC_SUSPECT
      const result = done()
      ep.readings.push({ time: s.time, level, qc: result.qc })
      return remember(state, s.time, result)
    }
  }

  if (ref !== undefined && s.time > ref.time) {
    const delta = level - ref.level
    const hours = (s.time - ref.time) / 3_600_000
    if (Math.abs(delta) >= q.minDeltaM && Math.abs(delta) / hours > q.maxRateMPerHour) tests.rateOfChange = QC_SUSPECT
    if (Math.abs(delta) >= q.jumpM && mayOpen) {
      // A single step this large: water does not do that at a gauge site; objects and echoes do.
      const direction = delta > 0 ? 1 : -1
      tests[direction > 0 ? 'obstruction' : 'dropout'] = QC_SUSPECT
      const result = done(revisions)
      state.episode = { baseline: ref, direction, startTime: s.time, readings: [{ time: s.time, level, qc: result.qc }] }
      return remember(state, s.time, result)
    }
  }

  // flat line: a stuck sensor repeats itself to the millimetre
  const windowStart = s.time - q.flatLineMinutes * 60_000
  const inWindow = state.recent.filter(p => p.time >= windowStart)
  const oldest = inWindow[0]
  if (oldest !== undefined && inWindow.length + 1 >= q.flatLineMinReadings && s.time - oldest.time >= q.flatLineMinutes * 60_000 * 0.9 &&
      inWindow.every(p => Math.round(p.level * 1000) === Math.round(level * 1000))) {
    tests.flatLine = QC_SUSPECT
  }

  const result = done(revisions)
  if (result.qc.flag !== QC_FAIL) {
    state.recent.push(here)
    const cutoff = s.time - q.flatLineMinutes * 60_000 * 1.1
    while (state.recent.length > 2 && (state.recent[0]!.time < cutoff || state.recent.length > 2000)) state.recent.shift()
    // a fast but plausible change (rate of change only) still becomes the new reference,
    // otherwise a real steep rise would be compared with an ever older level
    state.lastGood = here
  }
  return remember(state, s.time, result)
}

function remember (state: QcState, time: number, result: QcResult): QcResult {
  state.lastResult = { time, result }
  return result
}
