import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Reading, Station } from '../../core/types.js'
import { MimamoriError } from '../../core/errors.js'
import { createAlerts, type Alerts } from '../../alerts/index.js'
import { createRiverRules, type RiverRules } from '../../ingest/rules/index.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import type { Store } from '../../store/store.js'

const MIN = 60_000
const T = { observationStart: 0.5, standby: 1.0, caution: 1.5, evacuationJudgement: 2.0, danger: 2.5, flooding: 3.0 }
const station: Station = { id: 's1', name: 'テスト川', nameEn: 'Test River', river: 'テスト川', lat: 38, lon: 140, deviceId: 'g1', datum: 0, sensorHeight: 5, thresholds: T }

describe('fleet registry', () => {
  let dir: string
  let file: string
  let store: Store
  let alerts: Alerts
  let rules: RiverRules
  const config = loadConfig({ overrides: { log: { level: 'silent' }, river: { rules: { clearDwellMinutes: 0 } } } })

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-fleet-'))
    file = join(dir, 'db')
    store = createEmbeddedStore({ file, logger: silentLogger() })
    store.fleet.seed({ stations: [station], cameras: [] })
    alerts = createAlerts({ file, outbox: null, logger: silentLogger() })
    rules = createRiverRules({ config, logger: silentLogger(), bus: createEventBus(), store, alerts })
    await rules.start()
  })
  afterEach(async () => {
    await rules.close()
    await alerts.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const reading = (time: number, level: number): Reading => ({
    stationId: 's1', deviceId: 'g1', time, receivedAt: time, level, batteryV: 3.6, temperatureC: 10, spreadMm: 2, validPings: 20, totalPings: 20, deviceFlags: 0, seq: 0, qc: { flag: 1, tests: {} }
  })
  const open = (rule: string) => alerts.findOpen({ kind: 'river', subjectId: 's1', rule })

  it('a revision changes the next alert; the earlier alert keeps the thresholds that applied when it fired', () => {
    const t0 = Date.now() - 10 * MIN
    rules.process(reading(t0, 1.6))
    expect(open('threshold.caution')?.details.thresholds).toMatchObject({ revision: 1, caution: 1.5, evacuationJudgement: 2.0, source: 'configuration file' })
    rules.process(reading(t0 + MIN, 1.8))
    expect(open('threshold.evacuationJudgement')).toBeUndefined()

    const rev = store.fleet.reviseThresholds('s1', { thresholds: { ...T, evacuationJudgement: 1.7 }, source: '河川課 2026-12 改定', by: 'staff1', reason: '河川改修' })
    expect(rev).toMatchObject({ revision: 2, source: '河川課 2026-12 改定' })
    expect(store.getStation('s1')?.thresholds.evacuationJudgement).toBe(1.7)
    rules.process(reading(Date.now() + MIN, 1.8))
    expect(open('threshold.evacuationJudgement')?.details).toMatchObject({ threshold: 1.7, thresholds: { revision: 2, evacuationJudgement: 1.7, source: '河川課 2026-12 改定' } })
    expect(open('threshold.caution')?.details.thresholds).toMatchObject({ revision: 1, evacuationJudgement: 2.0 })
    // the past is read with the thresholds of its time
    expect(store.fleet.thresholdsAt('s1', t0)?.thresholds.evacuationJudgement).toBe(2.0)
    expect(store.fleet.history('s1').map(r => r.revision)).toEqual([1, 2])
  })

  it('refuses a revision in the past, out-of-order levels and a missing source, naming the field in Japanese and English', () => {
    const err = (fn: () => unknown): MimamoriError => { try { fn() } catch (e) { return e as MimamoriError } throw new Error('no error') }
    const past = err(() => store.fleet.reviseThresholds('s1', { thresholds: T, source: 'x', by: 'a', validFrom: Date.now() - 3_600_000 }))
    expect(past.code).toBe('MIMAMORI_ERR_VALIDATION')
    expect(past.details).toMatchObject({ field: 'validFrom' })
    expect(past.message).toContain('適用開始日時')
    expect(past.message).toContain('valid from')
    const order = err(() => store.fleet.reviseThresholds('s1', { thresholds: { ...T, danger: 1.9 }, source: 'x', by: 'a' }))
    expect(order.details).toMatchObject({ field: 'danger' })
    expect(order.message).toContain('氾濫危険水位')
    expect(order.message).toContain('flood danger level')
    const source = err(() => store.fleet.reviseThresholds('s1', { thresholds: T, source: ' ', by: 'a' }))
    expect(source.details).toMatchObject({ field: 'source' })
    expect(store.fleet.history('s1')).toHaveLength(1)
  })

  it('maintenance stores without alerting; retire keeps the station and its data', () => {
    store.fleet.setState('gauge', 's1', 'maintenance', { by: 'staff1', reason: '点検' })
    expect(store.getStation('s1')?.state).toBe('maintenance')
    rules.process(reading(Date.now(), 2.7))
    expect(alerts.list({ subjectId: 's1' })).toEqual([])
    store.fleet.setState('gauge', 's1', 'active', { by: 'staff1' })
    rules.process(reading(Date.now() + MIN, 2.7))
    expect(open('threshold.danger')).toBeDefined()
    store.fleet.setState('gauge', 's1', 'retired', { by: 'staff1' })
    expect(store.getStation('s1')?.state).toBe('retired')
    expect(() => store.fleet.setState('gauge', 's1', 'active', { by: 'staff1' })).toThrow(/retired/)
  })

  it('the configuration file seeds: unchanged entries keep what staff changed; a changed file entry applies', async () => {
    store.fleet.reviseThresholds('s1', { thresholds: { ...T, danger: 2.4 }, source: 'fleet page', by: 'staff1' })
    expect(store.fleet.seed({ stations: [station], cameras: [] })).toMatchObject({ kept: ['s1'] })
    expect(store.getStation('s1')?.thresholds.danger).toBe(2.4)
    // a name change in the file: applied, the staff's thresholds stay (the file's thresholds did not change)
    expect(store.fleet.seed({ stations: [{ ...station, name: 'テスト川 (改)' }], cameras: [] })).toMatchObject({ updated: ['s1'] })
    expect(store.getStation('s1')).toMatchObject({ name: 'テスト川 (改)', thresholds: { danger: 2.4 } })
    // the file's thresholds changed: a new revision from the file
    store.fleet.seed({ stations: [{ ...station, thresholds: { ...T, danger: 2.3 } }], cameras: [] })
    expect(store.fleet.history('s1').map(r => [r.revision, r.by, r.thresholds.danger])).toEqual([[1, 'config', 2.5], [2, 'staff1', 2.4], [3, 'config', 2.3]])
    // the file moves the device to a new station id: the old station is retired, its data stays
    store.fleet.seed({ stations: [{ ...station, id: 's2' }], cameras: [] })
    expect(store.getStation('s1')?.state).toBe('retired')
    expect(store.stationByDevice('g1')?.id).toBe('s2')
    // another connection to the same file sees it (the CLI, a separate dashboard process)
    const other = createEmbeddedStore({ file, logger: silentLogger() })
    try {
      expect(other.getStation('s1')?.thresholds.danger).toBe(2.3)
      expect(other.stationByDevice('g1')?.id).toBe('s2')
    } finally {
      await other.close()
    }
  })
})
