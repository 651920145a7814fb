import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StationConfig } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import type { Alert, Reading } from '../../core/types.js'
import { mqttReplayCommand, recordCommand } from '../../cli/record.js'
import { parseLine } from '../../simulators/mqtt-record/format.js'
import { createSimulatedGauge } from '../../simulators/gauge-device.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { riverStation } from '../helpers/river.js'

const MIN = 60_000
const station: StationConfig = riverStation('rec-nukada', { observationStart: 0.3, standby: 0.5, caution: 0.8, evacuationJudgement: 1.1, danger: 1.4, flooding: 2.5 })
const calm: StationConfig = riverStation('rec-calm', { observationStart: 0.3, standby: 0.5, caution: 0.8, evacuationJudgement: 1.1, danger: 1.4, flooding: 2.5 })

/** what a platform stored, without what depends on arrival (receivedAt) or random ids */
const readingsOf = async (t: TestApp, id: string): Promise<Array<Omit<Reading, 'receivedAt'>>> =>
  (await t.app.store!.readings(id, { from: 0, to: Date.parse('2100-01-01'), limit: 10_000 })).map(({ receivedAt: _r, ...r }) => r)
const alertsOf = (t: TestApp): Array<Omit<Alert, 'id'>> =>
  t.app.alerts!.list({ limit: 1000 }).map(({ id: _id, ...a }) => a).sort((a, b) => a.key.localeCompare(b.key))

describe('mimamori record → mimamori replay --mqtt', () => {
  let a: TestApp
  let b: TestApp | undefined
  let dir: string
  let file: string
  const frames = 36

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-record-'))
    file = join(dir, 'traffic.ndjson')
    a = await startTestApp({ stations: [station, calm] })
    const stop = new AbortController()
    let ready!: () => void
    const subscribed = new Promise<void>(resolve => { ready = resolve })
    const recording = recordCommand(['--out', file, '--mqtt-url', a.info.mqttUrl], { stop: stop.signal, onReady: ready })
    await subscribed
    // a 6-hour rise to 氾濫危険 and a calm neighbour, reported every 10 min of data time ending now
    const end = Math.floor(Date.now() / MIN) * MIN
    const start = end - (frames - 1) * 10 * MIN
    const rise = createSimulatedGauge({ station, scenario: t => 0.2 + 1.4 * Math.max(0, Math.min(1, (t - start) / (end - start))), mqttUrl: a.info.mqttUrl, logger: silentLogger() })
    const flat = createSimulatedGauge({ station: calm, scenario: () => 0.25, mqttUrl: a.info.mqttUrl, logger: silentLogger() })
    await rise.connect()
    await flat.connect()
    for (let i = 0; i < frames; i++) {
      await rise.report(start + i * 10 * MIN)
      await flat.report(start + i * 10 * MIN)
    }
    await rise.close()
    await flat.close()
    await waitFor(async () => (await readingsOf(a, station.id)).length === frames && (await readingsOf(a, calm.id)).length === frames ? true : undefined, 'platform A stored every reading')
    const uplinkLines = (): number => readFileSync(file, 'utf8').split('\n').filter(l => /"topic":"[^"]*\/up"/.test(l)).length
    await waitFor(() => uplinkLines() === 2 * frames ? true : undefined, 'recorder saw every uplink')
    stop.abort()
    expect(await recording).toBe(0)
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('records device traffic as NDJSON: receive time, topic, QoS, retain, base64 payload', () => {
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(JSON.parse(lines[0]!)).toMatchObject({ mimamori: 'mqtt-recording', version: 1, topics: expect.arrayContaining(['mmr/v1/gauge/+/up']) })
    const msgs = lines.slice(1).map((l, i) => parseLine(l, i + 2)) as Array<{ topic: string, qos: number, retain: boolean, payload: Buffer, time: number }>
    const ups = msgs.filter(m => m.topic === `mmr/v1/gauge/${station.deviceId}/up`)
    expect(ups).toHaveLength(frames)
    expect(ups.every(m => m.qos === 1 && !m.retain && m.payload.length <= 11)).toBe(true)
    // status messages as published (online at connect, offline at close), QoS 1 retained
    const status = msgs.filter(m => m.topic === `mmr/v1/gauge/${station.deviceId}/status`)
    expect(status.map(m => JSON.parse(m.payload.toString()) as { online: boolean }).map(s => s.online)).toEqual([true, false])
    expect(msgs.every((m, i) => i === 0 || m.time >= msgs[i - 1]!.time)).toBe(true)
  })

  it('replayed into a fresh platform, it stores the same readings and raises the same alerts', async () => {
    b = await startTestApp({ stations: [station, calm] })
    const config = join(dir, 'b.json')
    writeFileSync(config, JSON.stringify({ dataDir: b.dataDir, broker: { port: b.info.mqttPort }, stations: [station, calm] }))
    expect(await mqttReplayCommand(['--mqtt', file, '--speed', 'max', '--config', config, '--json'])).toBe(0)
    await waitFor(async () => (await readingsOf(b!, station.id)).length === frames && (await readingsOf(b!, calm.id)).length === frames ? true : undefined, 'platform B stored every reading')
    expect(await readingsOf(b, station.id)).toEqual(await readingsOf(a, station.id))
    expect(await readingsOf(b, calm.id)).toEqual(await readingsOf(a, calm.id))
    const alertsA = alertsOf(a)
    // the rise went through 水防団待機 … 氾濫危険: a replay that lost it would compare two empty lists
    expect(alertsA.map(x => x.rule)).toEqual(expect.arrayContaining(['threshold.standby', 'threshold.caution', 'threshold.danger']))
    await waitFor(() => alertsOf(b!).length === alertsA.length ? true : undefined, 'platform B raised the alerts')
    expect(alertsOf(b)).toEqual(alertsA)
  })

  it('a broken line is refused with its line number before anything is sent', async () => {
    const broken = join(dir, 'broken.ndjson')
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    writeFileSync(broken, [...lines.slice(0, 3), '{"t":"yesterday","topic":"x","qos":1,"retain":false,"payload":""}', ...lines.slice(3)].join('\n'))
    await expect(mqttReplayCommand(['--mqtt', broken, '--speed', 'max', '--mqtt-url', 'mqtt://127.0.0.1:1'])).rejects.toThrow(/line 4: "t" must be an ISO 8601 time/)
  })
})
