import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { decodeDownlink, encodeUplink } from '../../codecs/gauge-v1.js'
import { chirpstackDownlink } from '../../ingest/handlers/chirpstack.js'
import { readDemoConfig, REPO_ROOT, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'chirpstack')
const MINUTE = 60_000

interface UpEvent { time: string, deviceInfo: { devEui: string, applicationId: string }, fPort: number, data?: string, fCnt: number }
interface ApiReading { level: number, time: string, batteryV: number | null, deviceId?: string }

const fixture = (name: string): UpEvent => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as UpEvent
const topicOf = (e: UpEvent): string => `application/${e.deviceInfo.applicationId}/device/${e.deviceInfo.devEui}/event/up`

/**
 * ChirpStack v4's MQTT integration publishes as its own MQTT client; ingest
 * must decode `data` with the gauge-v1 codec and map the DevEUI to a station.
 */
describe('ChirpStack v4 uplink events', () => {
  let t: TestApp
  let ns: MqttClient

  beforeAll(async () => {
    const demo = readDemoConfig()
    const stations = demo.stations.map(s => {
      // 内川: gauge keeps its own deviceId and declares its DevEUI (upper case on purpose)
      if (s.id === 'uchikawa-oizumi') return { ...s, devEui: '0004A30B001C2D3E' }
      // 青龍寺川: a gauge whose deviceId is its DevEUI
      if (s.id === 'seiryuji-shingata') return { ...s, deviceId: '70b3d57ed0051234' }
      return s
    })
    t = await startTestApp({ stations })
    ns = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'chirpstack-ns' })
  })

  afterAll(async () => {
    await ns?.endAsync()
    await t?.close()
  })

  const readings = async (stationId: string, from: number, to: number): Promise<ApiReading[]> => {
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/${stationId}/readings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { readings: ApiReading[] }).readings
  }

  it('stores the real-format fixture under the station whose devEui matches, at the frame time', async () => {
    const e = fixture('up-gauge-v1.json')
    await ns.publishAsync(topicOf(e), JSON.stringify(e), { qos: 1 })
    const frameTime = Date.parse('2025-06-01T00:00:00Z')
    const got = await waitFor(async () => {
      const r = await readings('uchikawa-oizumi', frameTime - MINUTE, frameTime + MINUTE)
      return r.length > 0 ? r : undefined
    }, 'ChirpStack reading stored')
    expect(got).toEqual([expect.objectContaining({ level: 1.234, time: '2025-06-01T00:00:00.000Z', batteryV: 3.6 })])
  })

  it('treats a repeated event (same frame) as a duplicate, never a second reading', async () => {
    const before = t.app.ingest!.stats.duplicates
    const e = fixture('up-gauge-v1.json')
    await ns.publishAsync(topicOf(e), JSON.stringify({ ...e, deduplicationId: 'another', fCnt: 43 }), { qos: 1 })
    await waitFor(() => t.app.ingest!.stats.duplicates === before + 1 ? true : undefined, 'duplicate counted')
    const frameTime = Date.parse('2025-06-01T00:00:00Z')
    expect(await readings('uchikawa-oizumi', frameTime - MINUTE, frameTime + MINUTE)).toHaveLength(1)
  })

  it('ignores a MAC-only uplink (fPort 0, no data) without counting it as rejected', async () => {
    const received = t.app.ingest!.stats.received
    const e = fixture('up-mac-only.json')
    await ns.publishAsync(topicOf(e), JSON.stringify(e), { qos: 1 })
    await waitFor(() => t.app.ingest!.stats.received === received + 1 ? true : undefined, 'MAC-only uplink handled')
    expect(Object.values(t.app.ingest!.stats.rejected).reduce((a, b) => a + (b ?? 0), 0)).toBe(0)
  })

  it('maps a DevEUI that is the station deviceId, and resolves the frame time from ChirpStack `time`', async () => {
    const now = Math.floor(Date.now() / MINUTE) * MINUTE
    const obs = now - 7 * MINUTE
    const bytes = encodeUplink({ mode: 'observe', levelM: 0.82, batteryV: 3.5, temperatureC: 9, spreadMm: 2, validPings: 20, totalPings: 20, time: obs })
    const e = fixture('up-gauge-v1.json')
    const ev = { ...e, time: new Date(now + 12_000).toISOString(), deviceInfo: { ...e.deviceInfo, devEui: '70b3d57ed0051234' }, data: Buffer.from(bytes).toString('base64') }
    await ns.publishAsync(topicOf(ev), JSON.stringify(ev), { qos: 1 })
    const got = await waitFor(async () => {
      const r = await readings('seiryuji-shingata', obs - MINUTE, obs + MINUTE)
      return r.length > 0 ? r : undefined
    }, 'reading for DevEUI deviceId')
    expect(got[0]).toMatchObject({ level: 0.82, time: new Date(obs).toISOString() })
  })

  it('rejects events it cannot trust: unknown DevEUI, DevEUI not matching the topic, wrong fPort, non-JSON', async () => {
    const e = fixture('up-gauge-v1.json')
    const unknown = { ...e, deviceInfo: { ...e.deviceInfo, devEui: 'ffffffffffffffff' } }
    await ns.publishAsync(topicOf(unknown), JSON.stringify(unknown), { qos: 1 })
    await ns.publishAsync(`application/${e.deviceInfo.applicationId}/device/0004a30b001c2d3f/event/up`, JSON.stringify(e), { qos: 1 })
    await ns.publishAsync(topicOf(e), JSON.stringify({ ...e, fPort: 5 }), { qos: 1 })
    await ns.publishAsync(topicOf(e), 'not json', { qos: 1 })
    const rejected = await waitFor(() => {
      const r = t.app.ingest!.stats.rejected
      return (r.MIMAMORI_ERR_UNKNOWN_DEVICE ?? 0) >= 1 && (r.MIMAMORI_ERR_BAD_PAYLOAD ?? 0) >= 2 && (r.MIMAMORI_ERR_BAD_FRAME ?? 0) >= 1 ? r : undefined
    }, 'rejections counted')
    expect(rejected).toMatchObject({ MIMAMORI_ERR_UNKNOWN_DEVICE: 1, MIMAMORI_ERR_BAD_PAYLOAD: 2, MIMAMORI_ERR_BAD_FRAME: 1 })
  })

  it('builds a ChirpStack command/down message that the device decodes to the same settings', async () => {
    const e = fixture('up-gauge-v1.json')
    const received = new Promise<{ topic: string, payload: Buffer }>(resolve => {
      ns.on('message', (topic, payload) => { resolve({ topic, payload }) })
    })
    await ns.subscribeAsync('application/+/device/+/command/down', { qos: 1 })
    const dl = chirpstackDownlink(e.deviceInfo.applicationId, '0004A30B001C2D3E', { mode: 'observe', observeIntervalMin: 5 })
    const operator = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'operator-chirpstack' })
    await operator.publishAsync(dl.topic, dl.payload, { qos: 1 })
    await operator.endAsync()
    const got = await received
    expect(got.topic).toBe(`application/${e.deviceInfo.applicationId}/device/0004a30b001c2d3e/command/down`)
    const cmd = JSON.parse(got.payload.toString()) as { devEui: string, confirmed: boolean, fPort: number, data: string }
    expect(cmd).toMatchObject({ devEui: '0004a30b001c2d3e', confirmed: false, fPort: 10 })
    expect(decodeDownlink({ bytes: Buffer.from(cmd.data, 'base64'), fPort: cmd.fPort })).toEqual({ data: { mode: 'observe', observeIntervalMin: 5 } })
    expect(() => chirpstackDownlink(e.deviceInfo.applicationId, 'xyz', { mode: 'watch' })).toThrow(/16 hex/)
    expect(() => chirpstackDownlink(e.deviceInfo.applicationId, '0004a30b001c2d3e', {})).toThrow(/names no setting/)
  })
})
