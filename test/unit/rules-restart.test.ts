import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Reading, Station } from '../../core/types.js'
import { createAlerts, type Alerts } from '../../alerts/index.js'
import { createRiverRules, type RiverRules } from '../../ingest/rules/index.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import type { Store } from '../../store/store.js'

const MIN = 60_000
const thresholds = { observationStart: 0.5, standby: 1.0, caution: 1.5, evacuationJudgement: 2.0, danger: 2.5, flooding: 3.0 }
const stationOf = (id: string): Station => ({ id, name: `川${id}`, nameEn: `River ${id}`, river: 'テスト川', lat: 38, lon: 140, deviceId: `g-${id}`, datum: 0, sensorHeight: 5, thresholds })
const reading = (id: string, minute: number, level: number): Reading => ({
  stationId: id, deviceId: `g-${id}`, time: minute * MIN, receivedAt: minute * MIN, level, batteryV: 3.6, temperatureC: 10,
  spreadMm: 2, validPings: 20, totalPings: 20, deviceFlags: 0, seq: 0, qc: { flag: 1, tests: {} }
})

/**
 * The river rules after a restart (ingest/rules/resume.ts, index.ts checkSilence): the open alerts
 * of every station are read back in one query and carry on; and during the start grace
 * (river.rules.silentStartGraceMinutes) the silence timer leaves alone a station not heard since
 * the start — the platform was down, its gauge may still be reconnecting — while a station heard
 * since is judged as always. The clock is the rules' own (no wall-clock timing).
 */
describe('river rules after a restart', () => {
  let dir: string
  let store: Store
  let alerts: Alerts
  const rules: RiverRules[] = []
  let now = 0
  const config = loadConfig({ overrides: { log: { level: 'silent' } } })
  const open = (id: string, rule: string) => alerts.findOpen({ kind: 'river', subjectId: id, rule })
  const startRules = async (): Promise<RiverRules> => {
    const r = createRiverRules({ config, logger: silentLogger(), bus: createEventBus(), store, alerts, clock: () => now })
    rules.push(r)
    await r.start()
    return r
  }
  const feed = async (r: RiverRules, x: Reading): Promise<void> => { await store.writeReading(x); r.process(x) }

  afterEach(async () => {
    for (const r of rules.splice(0)) await r.close()
    await alerts.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('open alerts carry over; stations not heard since the start are not raised silent during the grace, heard ones are', async () => {
    expect(config.river.rules.silentStartGraceMinutes).toBe(10)
    dir = mkdtempSync(join(tmpdir(), 'mimamori-rules-restart-'))
    store = createEmbeddedStore({ file: join(dir, 'db'), logger: silentLogger() })
    store.saveStations(['a', 'b', 'c', 'd'].map(stationOf))
    alerts = createAlerts({ file: join(dir, 'db'), outbox: null, logger: silentLogger(), clock: () => now })

    // before the restart: a above 氾濫注意 standby, b silent, c and d heard once at minute 0
    const before = await startRules()
    await feed(before, reading('a', 0, 0.9))
    await feed(before, reading('a', 10, 1.1))
    for (const id of ['b', 'c', 'd']) await feed(before, reading(id, 0, 0.3))
    expect(open('a', 'threshold.standby')?.state).toBe('firing')
    now = 1600 * MIN
    before.checkSilence()
    expect(['b', 'c', 'd'].map(id => open(id, 'silent')?.state)).toEqual(['firing', 'firing', 'firing'])
    // c and d talk again, so only b stays silent across the restart
    await feed(before, reading('c', 1590, 0.3))
    await feed(before, reading('d', 1590, 0.3))
    expect(open('c', 'silent')).toBeUndefined()
    await before.close()

    // the platform was down; it starts at minute 3 100: c and d, last heard at 1 590, are past their 1 500 min limit
    now = 3100 * MIN
    const after = await startRules()
    // d's gauge is back (with a frame from its own store, data time 1 600) and heard since the start: judged as always
    await feed(after, reading('d', 1600, 0.3))
    now = 3105 * MIN
    after.checkSilence()
    expect(open('c', 'silent')).toBeUndefined() // not heard since the start, within the 10 min grace
    expect(open('d', 'silent')?.state).toBe('firing') // heard, 1 505 min since its last data
    now = 3111 * MIN
    after.checkSilence()
    expect(open('c', 'silent')?.state).toBe('firing') // the grace is over: c is silent
    // b's silent alert was open before the restart: its first frame clears it (silentOpen read back)
    await feed(after, reading('b', 3111, 0.3))
    expect(open('b', 'silent')).toBeUndefined()
    // a's crossing is still active after the restart: falling under 1.0 − hysteresis for the dwell clears it
    await feed(after, reading('a', 3100, 0.9))
    await feed(after, reading('a', 3131, 0.9))
    expect(open('a', 'threshold.standby')).toBeUndefined()
    expect(alerts.list({ subjectId: 'a', limit: 100 }).filter(x => x.rule === 'threshold.standby')).toHaveLength(1)
  })
})
