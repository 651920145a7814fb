import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StationConfig } from '../../core/config/schema.js'
import { REPO_ROOT, runCli, SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { riverStation } from '../helpers/river.js'
import type { ReplaySummary } from '../../cli/replay.js'
import { apiFetch } from '../helpers/auth.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')
const RISE = join(SHARED, 'data', 'river', 'kuji_nukada_2026-08-12_rise_10min.csv')
const MIN = 60_000

const cli = runCli

interface ApiAlert { id: string, subjectId: string, rule: string, state: string, drill: boolean, firedAt: string | null, lastSeenAt: string }

/**
 * `mimamori sim replay` as an operator runs it: the built CLI, against a running
 * platform whose broker requires authentication, as the drill station's gauge
 * (a device account made with `mimamori device add`).
 */
describe('mimamori sim replay (CLI against a running platform)', () => {
  // 訓練局 for the 額田 rise of 2026-08-12 (−0.83 m at 06:00 → 0.13 m at 14:40). Test thresholds,
  // m on the gauge datum: 観測開始 −0.90, 水防団待機 −0.50, 氾濫注意 −0.20, 避難判断 0.00, 氾濫危険 0.10, 氾濫発生 0.50 (not reached)
  const drill: StationConfig = { ...riverStation('drill-nukada', { observationStart: -0.9, standby: -0.5, caution: -0.2, evacuationJudgement: 0.0, danger: 0.1, flooding: 0.5 }), drill: true }
  const live: StationConfig = riverStation('live-nukada', { observationStart: -0.9, standby: -0.5, caution: -0.2, evacuationJudgement: 0.0, danger: 0.1, flooding: 0.5 })
  let t: TestApp
  let dir: string
  let configFile: string
  let csv: string
  let secret: string

  beforeAll(async () => {
    t = await startTestApp({ broker: { allowAnonymous: false }, stations: [live, drill] })
    dir = mkdtempSync(join(tmpdir(), 'mimamori-replay-cli-'))
    // the CLI reads the same configuration as the platform (its broker port, the stations)
    configFile = join(dir, 'config.json')
    writeFileSync(configFile, JSON.stringify({ dataDir: t.dataDir, log: { level: 'silent' }, broker: { port: t.info.mqttPort, allowAnonymous: false }, stations: [live, drill] }))
    // a short slice of the real record: 08-12 06:00 → 15:00 JST, 55 rows
    const rows = readFileSync(RISE, 'utf8').split('\n').filter(l => l >= '2026-08-12T06:00' && l < '2026-08-12T15:01')
    csv = join(dir, 'slice.csv')
    writeFileSync(csv, ['time,level_m', ...rows].join('\n') + '\n')
    const added = await cli(['device', 'add', '--kind', 'gauge', '--id', drill.deviceId, '--station', drill.id, '--json', '--config', configFile])
    expect(added.code, added.err).toBe(0)
    secret = (JSON.parse(added.out) as { password: string }).password
  })
  afterAll(async () => {
    await t?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const alerts = async (q: string): Promise<ApiAlert[]> => await (await apiFetch(`${t.info.dashboardUrl}/api/alerts?kind=river&limit=1000&${q}`)).json() as ApiAlert[]

  it('--drill is refused for a live station: nothing is sent', async () => {
    const r = await cli(['sim', 'replay', '--file', csv, '--station', live.id, '--speed', 'max', '--drill', '--config', configFile])
    expect(r.code).toBe(1)
    expect(r.err).toContain('MIMAMORI_ERR_BAD_REQUEST')
    expect(r.err).toContain('not a drill station')
    expect(await t.app.store!.readings(live.id, { from: 0, to: Date.parse('2100-01-01'), limit: 10 })).toEqual([])
  })

  it('replays a 2026-08-12 slice shifted to end now, as drills, without touching live alerts', async () => {
    // a real alert open at the live station before the drill
    const real = t.app.alerts!.raise({ kind: 'river', subjectId: live.id, rule: 'threshold.standby', drill: false, severity: 'minor', title: 'live', message: 'live', details: {}, time: Date.now() - 5 * MIN })
    const realBefore = JSON.stringify(t.app.alerts!.get(real.id))

    const before = Date.now()
    // the device secret from a credentials file in the format `mimamori sim --provision` writes
    const creds = join(dir, 'replay-credentials.json')
    writeFileSync(creds, JSON.stringify({ version: 1, devices: { [drill.deviceId]: { kind: 'gauge', username: drill.deviceId, password: secret } } }))
    const r = await cli(['sim', 'replay', '--file', csv, '--station', drill.id, '--speed', 'max', '--drill', '--json', '--credentials', creds, '--config', configFile])
    const after = Date.now()
    expect(r.code, r.err).toBe(0)
    const s = JSON.parse(r.out) as ReplaySummary
    expect(s.frames).toBe(55)
    expect(s.drill).toBe(true)
    expect(s.dataFrom).toBe('2026-08-11T21:00:00.000Z') // 06:00 JST
    // shifted to end "now": the last frame carries the minute the replay started in
    const sentTo = Date.parse(s.sentTo)
    expect(sentTo).toBeGreaterThanOrEqual(Math.floor(before / MIN) * MIN)
    expect(sentTo).toBeLessThanOrEqual(after)
    expect(s.shiftMs % MIN).toBe(0)
    expect(Date.parse(s.sentFrom)).toBe(Date.parse(s.dataFrom) + s.shiftMs)
    console.log(`sim replay: ${s.frames} frames, data ${s.dataFrom} → ${s.dataTo}, shifted ${(s.shiftMs / 86_400_000).toFixed(2)} d → ${s.sentFrom} … ${s.sentTo}, wall ${s.wallSeconds.toFixed(2)} s, ${Math.round(s.speedup)}× real time`)

    // every reading landed, at its shifted time, with the recorded level (±5 cm gauge noise)
    // the CLI is done when the broker has acked its last frame; ingest may still be storing it
    const body = await waitFor(async () => {
      const b = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/${drill.id}/readings?from=${new Date(before - 2 * 86_400_000).toISOString()}&to=${new Date(after + MIN).toISOString()}`)).json() as { readings: Array<{ time: string, level: number }> }
      return b.readings.length >= 55 ? b : undefined
    }, 'all 55 replayed readings in the API')
    const expected = readFileSync(csv, 'utf8').split('\n').slice(1).filter(l => l !== '').map(l => {
      const [time, level] = l.split(',')
      return { time: new Date(Date.parse(time!) + s.shiftMs).toISOString(), level: Number(level) }
    })
    expect(body.readings.map(x => x.time).sort()).toEqual(expected.map(x => x.time))
    for (const e of expected) {
      const got = body.readings.find(x => x.time === e.time)!
      expect(Math.abs(got.level - e.level), e.time).toBeLessThanOrEqual(0.05)
    }

    // the rise crosses 水防団待機, 氾濫注意, 避難判断 and 氾濫危険: drills, at the drill station only
    const drills = await alerts(`subjectId=${drill.id}`)
    const rules = new Set(drills.filter(a => a.firedAt !== null).map(a => a.rule))
    for (const rule of ['threshold.standby', 'threshold.caution', 'threshold.evacuationJudgement', 'threshold.danger']) expect(rules, rule).toContain(rule)
    expect(rules).not.toContain('threshold.flooding')
    expect(drills.every(a => a.drill)).toBe(true)
    // their times are the shifted data times (the crossing of 水防団待機 at about 08:20 JST)
    const standby = drills.find(a => a.rule === 'threshold.standby')!
    const standbyData = Date.parse(standby.firedAt!) - s.shiftMs
    expect(standbyData).toBeGreaterThanOrEqual(Date.parse('2026-08-12T08:10:00+09:00'))
    expect(standbyData).toBeLessThanOrEqual(Date.parse('2026-08-12T08:50:00+09:00'))

    // the live station: its real alert is exactly as before, and no drill reached it
    expect(JSON.stringify(t.app.alerts!.get(real.id))).toBe(realBefore)
    const liveAlerts = await alerts(`subjectId=${live.id}`)
    expect(liveAlerts.map(a => [a.rule, a.drill, a.state])).toEqual([['threshold.standby', false, 'firing']])
    expect((await alerts('drill=false')).map(a => a.subjectId)).toEqual([live.id])
  })
})
