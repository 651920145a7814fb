import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { QcFlag, Reading, Station } from '../../core/types.js'
import { createAlerts, type Alerts } from '../../alerts/index.js'
import { createRiverRules, stepCrossing, type RiverRules } from '../../ingest/rules/index.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import type { Store } from '../../store/store.js'

const MIN = 60_000
const station: Station = {
  id: 's1', name: 'テスト川', nameEn: 'Test River', river: 'テスト川', lat: 38, lon: 140, deviceId: 'g1', datum: 0, sensorHeight: 5,
  thresholds: { observationStart: 0.5, standby: 1.0, caution: 1.5, evacuationJudgement: 2.0, danger: 2.5, flooding: 3.0 }
}

describe('river rules', () => {
  let dir: string
  let store: Store
  let alerts: Alerts
  let rules: RiverRules
  let now = 0
  const config = loadConfig({ overrides: { log: { level: 'silent' } } })

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-rules-'))
    store = createEmbeddedStore({ file: join(dir, 'db'), logger: silentLogger() })
    store.saveStations([station])
    alerts = createAlerts({ file: join(dir, 'db'), outbox: null, logger: silentLogger() })
    rules = createRiverRules({ config, logger: silentLogger(), bus: createEventBus(), store, alerts, clock: () => now })
    await rules.start()
  })
  afterEach(async () => {
    await rules.close()
    await alerts.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const reading = (minute: number, level: number, flag: QcFlag = 1, tests: Record<string, QcFlag> = {}): Reading => ({
    stationId: 's1', deviceId: 'g1', time: minute * MIN, receivedAt: minute * MIN, level, batteryV: 3.6, temperatureC: 10,
    spreadMm: 2, validPings: 20, totalPings: 20, deviceFlags: 0, seq: 0, qc: { flag, tests }
  })
  const open = (rule: string) => alerts.findOpen({ kind: 'river', subjectId: 's1', rule })

  it('crossing with hysteresis and clear dwell: no flapping around the threshold', () => {
    rules.process(reading(0, 0.9))
    rules.process(reading(10, 1.02))
    expect(open('threshold.standby')).toMatchObject({ state: 'firing', firedAt: 10 * MIN })
    rules.process(reading(20, 0.98)) // below the threshold but within hysteresis (0.05 m)
    rules.process(reading(30, 1.01))
    rules.process(reading(40, 0.94)) // below 0.95: dwell starts
    rules.process(reading(50, 0.93))
    expect(open('threshold.standby')).toBeDefined()
    rules.process(reading(70, 0.92)) // 30 min below
    expect(open('threshold.standby')).toBeUndefined()
    expect(alerts.list({ subjectId: 's1' })).toHaveLength(1)
  })

  it('failed readings never trigger; suspect ones wait for the next reading', () => {
    rules.process(reading(0, 0.9))
    rules.process(reading(10, 3.2, 4, { spike: 4 }))
    expect(alerts.list({ subjectId: 's1' })).toEqual([])
    rules.process(reading(20, 1.1, 3, { rateOfChange: 3 }))
    expect(open('threshold.standby')).toBeUndefined() // held, not yet confirmed
    rules.process(reading(30, 1.12))
    expect(open('threshold.standby')).toMatchObject({ state: 'firing', observedAt: 20 * MIN })
    // a suspect jump contradicted by the next reading is dropped
    rules.process(reading(40, 1.6, 3, { obstruction: 3 }))
    rules.process(reading(50, 1.13))
    expect(open('threshold.caution')).toBeUndefined()
  })

  it('forecasts 氾濫危険 within 3 h from the trend and resolves the forecast when it is reached', () => {
    // rising 0.4 m/h from 0.6 m: danger (2.5 m) is 4.75 h away at first, 3 h away at 1.3 m
    let level = 0.6
    let m = 0
    for (; level < 1.25; m += 10, level += 0.4 / 6) rules.process(reading(m, level))
    expect(open('forecast.danger')).toBeUndefined()
    for (; level < 1.45; m += 10, level += 0.4 / 6) rules.process(reading(m, level))
    const f = open('forecast.danger')
    expect(f?.severity).toBe('severe')
    expect(f?.details.etaMinutes).toBeLessThanOrEqual(180)
    for (; level < 2.6; m += 10, level += 0.4 / 6) rules.process(reading(m, level))
    expect(open('forecast.danger')).toBeUndefined()
    expect(alerts.list({ subjectId: 's1' }).find(a => a.rule === 'forecast.danger')?.resolution).toBe('reached')
    expect(open('threshold.danger')?.severity).toBe('extreme')
  })

  it('rate of rise only above 観測開始水位; station silent too long', () => {
    for (let m = 0; m <= 60; m += 10) rules.process(reading(m, 0.0 + m / 60 * 0.45)) // 0.45 m/h below 0.5 m gate
    expect(open('rateOfRise')).toBeUndefined()
    for (let m = 70; m <= 130; m += 10) rules.process(reading(m, 0.5 + (m - 70) / 60 * 0.8))
    expect(open('rateOfRise')).toBeDefined()
    // last level 1.3 m ≥ 観測開始: expected every 10 min, silent after 40 min
    now = 130 * MIN + 39 * MIN
    rules.checkSilence()
    expect(open('silent')).toBeUndefined()
    now = 130 * MIN + 41 * MIN
    rules.checkSilence()
    expect(open('silent')).toMatchObject({ state: 'firing', severity: 'minor' })
    rules.process(reading(180, 1.3))
    expect(open('silent')).toBeUndefined()
  })

  it('minimum dwell on raise: pending first, firing once served, cancelled when it falls back', () => {
    const s = { active: false, aboveSince: null, belowSince: null }
    const o = { hysteresisM: 0.05, raiseDwellMs: 20 * MIN, clearDwellMs: 30 * MIN }
    expect(stepCrossing(s, 1.1, 0, 1.0, o)).toBe('pending')
    expect(stepCrossing(s, 0.9, 10 * MIN, 1.0, o)).toBe('cancel')
    expect(stepCrossing(s, 1.1, 20 * MIN, 1.0, o)).toBe('pending')
    expect(stepCrossing(s, 1.1, 40 * MIN, 1.0, o)).toBe('raise')
  })
})
