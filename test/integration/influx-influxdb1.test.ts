import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import type { InfluxStore } from '../../store/influx.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { startInfluxDb1, startV2WriteRewriteProxy } from '../helpers/servers.js'
import { apiFetch } from '../helpers/auth.js'

const MINUTE = 60_000

interface ApiReading { level: number, time: string, batteryV: number | null }

async function influxql (url: string, db: string, q: string): Promise<Array<{ columns: string[], values: unknown[][] }>> {
  const res = await apiFetch(`${url}/query?${new URLSearchParams({ db, q, epoch: 'ms' }).toString()}`)
  const body = await res.json() as { results: Array<{ series?: Array<{ columns: string[], values: unknown[][] }> }> }
  return body.results[0]?.series ?? []
}

/**
 * Round trip on one real InfluxDB 1.x: writes through the v2 write API (via a
 * test-only /api/v2/write → /write rewrite, since Debian's influxd predates
 * 1.8), reads back with InfluxQL through the dashboard API.
 */
describe('InfluxDB backend: round trip on InfluxDB 1.x (InfluxQL reads)', () => {
  let influx: Awaited<ReturnType<typeof startInfluxDb1>>
  let proxy: Awaited<ReturnType<typeof startV2WriteRewriteProxy>>
  let t: TestApp
  let device: MqttClient
  const base = (Math.floor(Date.now() / MINUTE) - 30) * MINUTE

  beforeAll(async () => {
    influx = await startInfluxDb1()
    await influx.createDatabase('river')
    proxy = await startV2WriteRewriteProxy(influx.url)
    t = await startTestApp({
      store: { backend: 'influxdb', influx: { url: proxy.url, queryUrl: influx.url, bucket: 'river', flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 500 } }
    })
    device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'gauge-akagawa-01' })
  })

  afterAll(async () => {
    await device?.endAsync()
    await t?.close()
    await proxy?.close()
    await influx?.close()
  })

  const frame = (levelM: number, time: number, batteryV = 3.55): Buffer =>
    Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV, temperatureC: 11, spreadMm: 4, validPings: 19, totalPings: 20, time }))

  it('writes line protocol with station/device tags and typed fields, and reads it back with InfluxQL', async () => {
    const levels = [1.21, 1.25, 1.3, 1.34, 1.4]
    for (const [i, level] of levels.entries()) {
      await device.publishAsync('mmr/v1/gauge/gauge-akagawa-01/up', frame(level, base + i * MINUTE), { qos: 1 })
    }
    // a repeated frame (device retry) must not become a second point
    await device.publishAsync('mmr/v1/gauge/gauge-akagawa-01/up', frame(levels[2]!, base + 2 * MINUTE), { qos: 1 })
    const store = t.app.store as InfluxStore
    await waitFor(() => t.app.ingest?.stats.received === levels.length + 1 ? true : undefined, 'all frames handled')
    await store.flushed(20_000)
    expect(proxy.writes()).toBeGreaterThan(0)

    // Schema: tags are station and device; fields have the types queries rely on.
    const tagKeys = (await influxql(influx.url, 'river', 'SHOW TAG KEYS FROM "water_level"'))[0]!.values.map(v => v[0])
    expect(tagKeys.sort()).toEqual(['device', 'station'])
    const fieldTypes = Object.fromEntries((await influxql(influx.url, 'river', 'SHOW FIELD KEYS FROM "water_level"'))[0]!.values.map(v => [v[0], v[1]]))
    expect(fieldTypes).toMatchObject({ level: 'float', battery_v: 'float', temperature_c: 'float', spread_mm: 'float', valid_pings: 'integer', total_pings: 'integer', device_flags: 'integer', received_at: 'integer' })

    const count = await influxql(influx.url, 'river', `SELECT count("level") FROM "water_level" WHERE "station" = 'akagawa-haguro'`)
    expect(count[0]!.values[0]![1]).toBe(levels.length)

    // The API answers from InfluxQL once the outbox has delivered (no undelivered rows remain to merge).
    expect(store.outboxStats().pending).toBe(0)
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/akagawa-haguro/readings?from=${new Date(base).toISOString()}&to=${new Date(base + 10 * MINUTE).toISOString()}`)
    expect(res.status).toBe(200)
    const body = await res.json() as { readings: ApiReading[] }
    expect(body.readings.map(r => r.level)).toEqual([...levels].reverse())
    expect(body.readings[0]).toMatchObject({ time: new Date(base + 4 * MINUTE).toISOString(), batteryV: 3.55 })
  })

  it('stores the QC verdict with the point and applies a later QC revision by overwriting it (same series + time)', async () => {
    const store = t.app.store as InfluxStore
    const at = base + 2 * MINUTE
    const before = await influxql(influx.url, 'river', `SELECT "qc_flag" FROM "water_level" WHERE "station" = 'akagawa-haguro' AND time = ${at}ms`)
    expect(before[0]!.values[0]![1]).toEqual(expect.any(Number))
    await store.updateReadingQc!('akagawa-haguro', at, { flag: 4, tests: { spike: 4 } })
    await store.flushed(20_000)
    const after = await influxql(influx.url, 'river', `SELECT "level", "qc_flag", "qc_tests" FROM "water_level" WHERE "station" = 'akagawa-haguro' AND time = ${at}ms`)
    expect(after[0]!.values).toEqual([[at, 1.3, 4, '{"spike":4}']])
    const count = await influxql(influx.url, 'river', `SELECT count("level") FROM "water_level" WHERE "station" = 'akagawa-haguro' AND time >= ${base}ms AND time < ${base + 10 * MINUTE}ms`)
    expect(count[0]!.values[0]![1]).toBe(5)
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/akagawa-haguro/readings?from=${new Date(at).toISOString()}&to=${new Date(at).toISOString()}`)
    const body = await res.json() as { readings: Array<{ qc?: { flag: number } }> }
    expect(body.readings[0]?.qc?.flag).toBe(4)
  })

  it('writes a frame without a level (QC flag 9) as a point with its flags and no level field, and serves it as a gap', async () => {
    const store = t.app.store as InfluxStore
    const at = base + 6 * MINUTE
    const gap = Buffer.from(encodeUplink({ mode: 'observe', levelM: null, flags: ['fewValidPings', 'sensorError'], batteryV: 3.55, temperatureC: 11, spreadMm: 0, validPings: 0, totalPings: 20, time: at }))
    await device.publishAsync('mmr/v1/gauge/gauge-akagawa-01/up', gap, { qos: 1 })
    await waitFor(async () => (await influxql(influx.url, 'river', `SELECT * FROM "water_level" WHERE "station" = 'akagawa-haguro' AND time = ${at}ms`)).length > 0 ? true : undefined, 'gap delivered', 20_000)
    await store.flushed(20_000)
    const [series] = await influxql(influx.url, 'river', `SELECT "level", "qc_flag", "qc_tests", "device_flags" FROM "water_level" WHERE "station" = 'akagawa-haguro' AND time = ${at}ms`)
    expect(series!.values).toEqual([[at, null, 9, '{"missing":9}', 0x21]])
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/akagawa-haguro/readings?from=${new Date(at).toISOString()}&to=${new Date(at).toISOString()}`)
    const body = await res.json() as { readings: Array<{ level: number | null, qc?: { flag: number } }> }
    expect(body.readings).toEqual([expect.objectContaining({ level: null, qc: { flag: 9, tests: { missing: 9 } } })])
    // the station's latest level is still the last measured one
    const view = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/akagawa-haguro`)).json() as { latest: { level: number } }
    expect(view.latest.level).toBe(1.4)
  })

  it('reads history that only InfluxDB holds (written by another writer) through InfluxQL', async () => {
    const old = base - 120 * MINUTE
    const line = `water_level,device=gauge-akagawa-01,station=akagawa-haguro level=0.87,battery_v=3.6,valid_pings=20i,total_pings=20i,device_flags=0i,seq=0i,received_at=${old}i ${old}`
    const w = await apiFetch(`${influx.url}/write?db=river&precision=ms`, { method: 'POST', body: line })
    expect(w.status).toBe(204)
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/akagawa-haguro/readings?from=${new Date(old - MINUTE).toISOString()}&to=${new Date(old + MINUTE).toISOString()}`)
    const body = await res.json() as { readings: ApiReading[] }
    expect(body.readings).toEqual([expect.objectContaining({ level: 0.87, time: new Date(old).toISOString() })])
  })
  it('sets aside a reading the server refuses for its content (field type conflict) without blocking the others', async () => {
    const store = t.app.store as InfluxStore
    const conflictAt = base - 10 * 24 * 60 * MINUTE
    const otherShard = base - 20 * 24 * 60 * MINUTE
    // Another writer made valid_pings a string in that week's shard: InfluxDB 1.x answers 400 "field type conflict".
    const w = await apiFetch(`${influx.url}/write?db=river&precision=ms`, { method: 'POST', body: `water_level,station=elsewhere valid_pings="n/a" ${conflictAt - MINUTE}` })
    expect(w.status).toBe(204)
    const rejectedBefore = store.outboxStats().rejected
    await device.publishAsync('mmr/v1/gauge/gauge-akagawa-01/up', frame(1.11, conflictAt), { qos: 1 })
    await device.publishAsync('mmr/v1/gauge/gauge-akagawa-01/up', frame(1.12, otherShard), { qos: 1 })
    await waitFor(() => {
      const s = store.outboxStats()
      return s.pending === 0 && s.rejected === rejectedBefore + 1 ? s : undefined
    }, 'poison row set aside, the other delivered', 20_000)
    const ok = await influxql(influx.url, 'river', `SELECT "level" FROM "water_level" WHERE "station" = 'akagawa-haguro' AND time = ${otherShard}ms`)
    expect(ok[0]!.values).toEqual([[otherShard, 1.12]])
    expect(store.outboxStats().drain?.rejected).toBe(1)
  })
})
