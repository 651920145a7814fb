import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectMqtt, endMqtt, type MqttClient } from '../../core/mqtt.js'
import { silentLogger } from '../../core/logger.js'
import { deviceTopic } from '../../core/topics.js'
import type { LevelStatus } from '../../core/types.js'
import { encodeUplink, type DeviceFlagName } from '../../codecs/gauge-v1.js'
import { createSimulatedGauge } from '../../simulators/gauge-device.js'
import { waitFor } from '../helpers/app.js'
import { riverStation, startRiverApp, type RiverTestApp } from '../helpers/river.js'
import { apiFetch } from '../helpers/auth.js'

const MIN = 60_000
const T0 = Date.parse('2026-06-01T00:00:00Z')

interface ApiReading { time: string, level: number | null, qc?: { flag: number, tests: Record<string, number> } }

/**
 * QC decisions through the real path (MQTT QoS 1 → ingest → QC → store → bus →
 * rules → API): the live band waits for confirmation like the alerts do, frames
 * without a level are stored as gaps (flag 9), out-of-range levels are stored and
 * failed, and an operator downlink reaches a simulated gauge.
 * Test thresholds (m): 水防団待機 1.0, 氾濫注意 1.5, 避難判断 2.0, 氾濫危険 2.5, 氾濫発生 3.0; sensor 4 m above zero.
 */
describe('river QC through the real pipeline', () => {
  const thresholds = { observationStart: 0.8, standby: 1.0, caution: 1.5, evacuationJudgement: 2.0, danger: 2.5, flooding: 3.0 }
  const band = riverStation('qc-band', thresholds, { sensorHeight: 4 })
  const gap = riverStation('qc-gap', thresholds, { sensorHeight: 4 })
  // an ultrasonic sensor with a 5 m range mounted 6 m above zero: its no-echo value (5000 mm) reads as 1.00 m
  const range = riverStation('qc-range', thresholds, { sensorHeight: 6, sensorRangeM: 5 })
  const sim = riverStation('qc-downlink', thresholds, { sensorHeight: 4 })

  let t: RiverTestApp
  let device: MqttClient
  const changes: Array<{ stationId: string, to: LevelStatus }> = []
  const key = {}
  beforeAll(async () => {
    t = await startRiverApp([band, gap, range, sim], {}, T0)
    t.app.bus.on('statusChange', key, c => { changes.push({ stationId: c.stationId, to: c.to }) })
    device = await connectMqtt({ url: t.info.mqttUrl, clientId: 'qc-path-test', logger: silentLogger() })
  })
  afterAll(async () => {
    t?.app.bus.removeListeners(key)
    await endMqtt(device)
    await t?.close()
  })

  /** one frame as the gauge sends it, at data time `time`; resolves when ingest has handled it */
  const send = async (stationId: string, time: number, levelM: number | null, flags: DeviceFlagName[] = []): Promise<void> => {
    const s = t.app.store!.getStation(stationId)!
    t.clock.set(time)
    const settled = t.settle(stationId)(time)
    const frame = encodeUplink({ mode: 'observe', levelM, flags, batteryV: 3.6, temperatureC: 15, spreadMm: 3, validPings: levelM === null ? 0 : 20, totalPings: 20, time })
    await device.publishAsync(deviceTopic('gauge', s.deviceId, 'up'), Buffer.from(frame), { qos: 1 })
    await settled
  }
  const readings = async (stationId: string): Promise<ApiReading[]> => {
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/${stationId}/readings?from=${new Date(T0 - 60 * MIN).toISOString()}&to=${new Date(T0 + 3 * 86_400_000).toISOString()}`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { readings: ApiReading[] }).readings.reverse()
  }
  const restStatus = async (stationId: string): Promise<string> => {
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/${stationId}`)
    return ((await res.json()) as { status: string }).status
  }

  it('a spike (suspect, then failed) never moves the band; a real rise does once the next reading confirms it', async () => {
    const bandChanges = (): LevelStatus[] => changes.filter(c => c.stationId === band.id).map(c => c.to)
    for (let i = 0; i < 4; i++) await send(band.id, T0 + i * 10 * MIN, 0.5)
    expect(bandChanges()).toEqual(['normal'])
    // 0.5 → 1.7 m in one step: a jump (obstruction, suspect); the next reading comes back: spike, failed
    await send(band.id, T0 + 40 * MIN, 1.7)
    expect(bandChanges()).toEqual(['normal'])
    expect(await restStatus(band.id)).toBe('normal')
    await send(band.id, T0 + 50 * MIN, 0.5)
    expect(bandChanges()).toEqual(['normal'])
    const spike = (await readings(band.id)).find(r => r.time === new Date(T0 + 40 * MIN).toISOString())
    expect(spike?.qc?.flag).toBe(4)
    // an hour of dry readings after the spike: the obstruction window (river.qc obstructionMaxMinutes) has passed
    for (let i = 6; i <= 11; i++) await send(band.id, T0 + i * 10 * MIN, 0.5)
    // a real rise; its step to 1.30 m is steep enough to be suspect (0.50 m in 10 min > 0.10 m noise + 2 m/h × 10 min,
    // core/river/qc-limits.ts) but no jump: the band waits for the next reading
    await send(band.id, T0 + 120 * MIN, 0.8)
    await send(band.id, T0 + 130 * MIN, 1.3)
    const suspect = (await readings(band.id)).find(r => r.time === new Date(T0 + 130 * MIN).toISOString())
    expect(suspect?.qc?.flag, JSON.stringify(suspect?.qc)).toBe(3)
    expect(bandChanges()).toEqual(['normal'])
    expect(await restStatus(band.id)).toBe('normal')
    await send(band.id, T0 + 140 * MIN, 1.35)
    expect(bandChanges()).toEqual(['normal', 'standby'])
    expect(await restStatus(band.id)).toBe('standby')
  })

  it('frames without a level are stored as gaps (flag 9) and a gauge sending only those is a sensor fault, not silent', async () => {
    await send(gap.id, T0, 0.6)
    const HOUR = 60 * MIN
    for (let i = 1; i <= 3; i++) await send(gap.id, T0 + i * 10 * HOUR, null, ['fewValidPings', 'sensorError'])
    const rows = await readings(gap.id)
    expect(rows.map(r => r.level)).toEqual([0.6, null, null, null])
    expect(rows.slice(1).every(r => r.qc?.flag === 9 && r.qc.tests.missing === 9)).toBe(true)
    const open = t.app.alerts!.list({ subjectId: gap.id, limit: 100 }).filter(a => a.state !== 'resolved')
    expect(open.map(a => a.rule)).toEqual(['sensorFault'])
    // the last level is 30 h old, past the 25 h limit of 監視 mode, but the gauge still talks: not silent
    t.app.rules!.checkSilence(T0 + 30 * HOUR + MIN)
    expect(t.app.alerts!.list({ subjectId: gap.id, limit: 100 }).some(a => a.rule === 'silent')).toBe(false)
    // the gaps neither changed the band nor the latest level shown
    const view = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/${gap.id}`)).json() as { status: string, latest: { level: number } }
    expect(view).toMatchObject({ status: 'normal', latest: { level: 0.6 } })
    await send(gap.id, T0 + 31 * HOUR, 0.61)
    expect(t.app.alerts!.list({ subjectId: gap.id, limit: 100 }).find(a => a.rule === 'sensorFault')?.state).toBe('resolved')
  })

  it('a level above the sensor face and a no-echo value are stored with flag 4 (grossRange), not refused', async () => {
    await send(range.id, T0, 2.2)
    await send(range.id, T0 + 10 * MIN, 6.5) // above the 6 m sensor face
    await send(range.id, T0 + 20 * MIN, 1.0) // 6 m − 5000 mm: the sensor heard no echo
    await send(range.id, T0 + 30 * MIN, 2.21)
    const rows = await readings(range.id)
    expect(rows.map(r => [r.level, r.qc?.flag, r.qc?.tests.grossRange])).toEqual([[2.2, 1, undefined], [6.5, 4, 4], [1.0, 4, 4], [2.21, 1, undefined]])
    // neither moved the band (evacuationJudgement at 2.2 m) nor raised anything beyond the real level's alerts
    expect(changes.filter(c => c.stationId === range.id).map(c => c.to)).toEqual(['evacuationJudgement'])
    expect(t.app.alerts!.list({ subjectId: range.id, limit: 100 }).map(a => a.rule).sort()).toEqual(['threshold.caution', 'threshold.evacuationJudgement', 'threshold.standby'])
  })

  it('POST /api/stations/:id/downlink reaches the gauge over MQTT and switches its mode', async () => {
    const gauge = createSimulatedGauge({ station: t.app.store!.getStation(sim.id)!, scenario: () => 0.2, mqttUrl: t.info.mqttUrl, logger: silentLogger() })
    await gauge.connect()
    try {
      expect(gauge.policy.mode).toBe('watch')
      // every downlink says why (the audit log keeps who and why)
      const post = async (id: string, body: Record<string, unknown>): Promise<Response> => await apiFetch(`${t.info.dashboardUrl}/api/stations/${id}/downlink`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'QC path test', ...body })
      })
      const bad = await post(sim.id, { observeIntervalMin: 0 })
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { code: string }).code).toBe('MIMAMORI_ERR_BAD_REQUEST')
      const unknown = await post('no-such-station', { mode: 'observe' })
      expect(unknown.status).toBe(404)
      expect(((await unknown.json()) as { code: string }).code).toBe('MIMAMORI_ERR_NOT_FOUND')
      const res = await post(sim.id, { mode: 'observe', observeIntervalMin: 5 })
      expect(res.status).toBe(202)
      expect(await res.json()).toMatchObject({ topic: `mmr/v1/gauge/${sim.deviceId}/down`, fPort: 10, bytes: '1001010205' })
      await waitFor(() => gauge.policy.mode === 'observe' && gauge.policy.settings.observeIntervalMin === 5 ? true : undefined, 'gauge switched to 観測 every 5 min')
    } finally {
      await gauge.close()
    }
  })
})
