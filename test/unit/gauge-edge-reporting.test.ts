import { describe, expect, it } from 'vitest'
import { createRng } from '../../core/random.js'
import { estimateBattery } from '../../edge/gauge/energy.js'
import { measure } from '../../edge/gauge/measure.js'
import { createReportingPolicy, type Decision, type ReportingPolicy } from '../../edge/gauge/reporting.js'
import { decodeDownlink, encodeDownlink, type GaugeDownlinkData } from '../../codecs/gauge-v1.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const T0 = Date.UTC(2025, 0, 1)
/** 内川 (demo): 観測開始水位 0.6 m, sensor 4.0 m above gauge zero */
const OBS_START = 0.6
const SENSOR_HEIGHT = 4.0

interface Step { time: number, level: number | null, d: Decision }

/** Runs the device loop: measure with the real ping model, let the policy decide, sleep until it says. */
function run (policy: ReportingPolicy, trueLevel: (t: number) => number, from: number, to: number, seed = 7): Step[] {
  const rng = createRng(seed)
  const steps: Step[] = []
  for (let time = from; time < to;) {
    const m = measure({ mount: { sensorHeight: SENSOR_HEIGHT }, trueLevelM: trueLevel(time), time, mode: policy.mode, batteryV: 3.6, temperatureC: 15, rng })
    const d = policy.onMeasurement(time, m.levelM)
    steps.push({ time, level: m.levelM, d })
    time = d.nextMeasurementAt
  }
  return steps
}

const reports = (steps: Step[]): Step[] => steps.filter(s => s.d.report)

/** A calm year: seasonal swing, a daily cycle, and four small freshets that stay below 観測開始水位. */
function calmYear (t: number): number {
  const day = (t - T0) / DAY
  const freshets = [40, 130, 200, 290].reduce((s, c) => s + 0.22 * Math.exp(-(((day - c) * 24 / 8) ** 2)), 0)
  return 0.3 + 0.06 * Math.sin(2 * Math.PI * day / 365) + 0.015 * Math.sin(2 * Math.PI * day) + freshets
}

/** A flood: rises from 0.3 m to 2.1 m over 12 h, then recedes over 36 h. */
function flood (start: number) {
  return (t: number): number => {
    const h = (t - start) / HOUR
    if (h < 0) return 0.3
    if (h < 12) return 0.3 + 1.8 * (h / 12)
    return Math.max(0.3, 2.1 - 1.8 * ((h - 12) / 36))
  }
}

describe('adaptive reporting (監視 / 観測)', () => {
  it('reports about once a day in a calm year (vs 144/day at a fixed 10 min) and the battery lasts ≥ 5 years', () => {
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    const steps = run(policy, calmYear, T0, T0 + 365 * DAY)
    const uplinksPerDay = reports(steps).length / 365
    const measurementsPerDay = steps.length / 365
    expect(steps.every(s => s.d.mode === 'watch')).toBe(true)
    expect(policy.counts.heartbeat).toBeGreaterThanOrEqual(330)
    expect(policy.counts.change).toBeGreaterThan(0) // the freshets were reported
    expect(uplinksPerDay).toBeLessThan(2)
    expect(measurementsPerDay).toBeCloseTo(144, 0)

    const adaptive = estimateBattery({ measurementsPerDay, uplinksPerDay, dataRate: 2 })
    const fixed = estimateBattery({ measurementsPerDay: 144, uplinksPerDay: 144, dataRate: 2 })
    expect(adaptive.years).toBeGreaterThanOrEqual(5)
    expect(adaptive.years).toBeGreaterThan(fixed.years)
    console.info(`[reporting] calm year: ${uplinksPerDay.toFixed(2)} uplinks/day (fixed 10 min: 144/day), ` +
      `heartbeats ${policy.counts.heartbeat}, change reports ${policy.counts.change}; ` +
      `battery ${adaptive.mAhPerDay.toFixed(2)} mAh/day → ${adaptive.years.toFixed(1)} years (fixed 10 min: ${fixed.years.toFixed(1)} years); ` +
      `airtime ${adaptive.airtimeMs.toFixed(1)} ms/uplink at DR2`)
  })

  it('switches to 観測 on the rise, reports every 10 min, and returns to 監視 with hysteresis after the flood', () => {
    const start = T0 + 2 * DAY
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    const steps = run(policy, flood(start), T0, T0 + 6 * DAY)
    const firstObserve = steps.find(s => s.d.mode === 'observe')!
    // the switch happens no later than the first measurement above 観測開始水位
    const firstAbove = steps.find(s => s.level !== null && s.level >= OBS_START)!
    expect(firstObserve.time).toBeLessThanOrEqual(firstAbove.time)
    expect(firstObserve.d.report).toBe(true)
    expect(firstObserve.d.reason).toBe('mode-change')

    const observeSteps = steps.filter(s => s.d.mode === 'observe')
    expect(observeSteps.every(s => s.d.report)).toBe(true)
    const gaps = observeSteps.slice(1).map((s, i) => s.time - observeSteps[i]!.time)
    expect(new Set(gaps)).toEqual(new Set([10 * MINUTE]))

    const back = steps.find(s => s.time > firstObserve.time && s.d.mode === 'watch')!
    expect(back.d.report).toBe(true)
    // not before the level was below 観測開始水位 − hysteresis for the dwell time
    const belowSince = steps.find(s => s.time > start + 12 * HOUR && s.level !== null && s.level < OBS_START - 0.1)!
    expect(back.time - belowSince.time).toBeGreaterThanOrEqual(60 * MINUTE)
    // exactly one excursion: watch → observe → watch
    const switches = steps.filter((s, i) => i > 0 && s.d.mode !== steps[i - 1]!.d.mode)
    expect(switches.map(s => s.d.mode)).toEqual(['observe', 'watch'])
  })

  it('does not flap when the level hovers around 観測開始水位', () => {
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    const steps = run(policy, t => 0.62 + 0.05 * Math.sin(2 * Math.PI * (t - T0) / (3 * HOUR)), T0, T0 + 2 * DAY)
    const switches = steps.filter((s, i) => i > 0 && s.d.mode !== steps[i - 1]!.d.mode)
    expect(switches.length).toBeLessThanOrEqual(1)
    expect(steps.at(-1)!.d.mode).toBe('observe')
  })

  it('switches to 観測 on a fast rise while still below 観測開始水位', () => {
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    // 0.25 m → 0.5 m in 30 min (0.5 m/h) and then flat: never reaches 0.6 m
    const steps = run(policy, t => t < T0 + 6 * HOUR ? 0.25 : Math.min(0.5, 0.25 + 0.5 * (t - T0 - 6 * HOUR) / HOUR), T0, T0 + 9 * HOUR)
    expect(steps.every(s => s.level === null || s.level < OBS_START)).toBe(true)
    expect(steps.some(s => s.d.mode === 'observe')).toBe(true)
  })
})

describe('downlink handling', () => {
  const down = (data: GaugeDownlinkData): GaugeDownlinkData => {
    const enc = encodeDownlink({ data })
    if ('errors' in enc) throw new Error(enc.errors.join())
    const dec = decodeDownlink({ bytes: enc.bytes, fPort: enc.fPort })
    if (dec.errors !== undefined) throw new Error(dec.errors.join())
    return dec.data
  }

  it('pins 観測 at a 1-minute interval by downlink, and `mode: watch` hands control back', () => {
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    run(policy, () => 0.3, T0, T0 + HOUR)
    expect(policy.mode).toBe('watch')
    policy.applyDownlink(down({ mode: 'observe', observeIntervalMin: 1 }))
    const pinned = run(policy, () => 0.3, T0 + HOUR, T0 + 2 * HOUR)
    expect(pinned[0]!.d).toMatchObject({ report: true, reason: 'mode-change', mode: 'observe' })
    expect(pinned.every(s => s.d.mode === 'observe' && s.d.report)).toBe(true)
    expect(pinned.length).toBe(60)

    policy.applyDownlink(down({ mode: 'watch' }))
    const after = run(policy, () => 0.3, T0 + 2 * HOUR, T0 + 4 * HOUR)
    // calm water: back to watch (after the calm dwell) and quiet again
    expect(after.at(-1)!.d.mode).toBe('watch')
    expect(reports(after.filter(s => s.time > T0 + 3.5 * HOUR))).toHaveLength(0)
  })

  it('moves 観測開始水位 and the heartbeat by downlink', () => {
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    run(policy, () => 0.45, T0, T0 + HOUR)
    expect(policy.mode).toBe('watch')
    const s = policy.applyDownlink(down({ observationStartM: 0.4, heartbeatHours: 6 }))
    expect(s).toMatchObject({ observationStartM: 0.4, heartbeatHours: 6 })
    run(policy, () => 0.45, T0 + HOUR, T0 + 2 * HOUR)
    expect(policy.mode).toBe('observe')
  })

  it('refuses settings outside the frame ranges and keeps the old ones', () => {
    const policy = createReportingPolicy({ observationStartM: OBS_START })
    expect(() => policy.applyDownlink({ observeIntervalMin: 0 })).toThrow(RangeError)
    expect(policy.settings.observeIntervalMin).toBe(10)
    expect(decodeDownlink({ bytes: [0x10, 0x02, 0x00], fPort: 10 }).errors).toBeDefined()
  })
})
