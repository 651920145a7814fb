import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parquetReadObjects } from 'hyparquet'
import type { QcFlag, Reading } from '../../core/types.js'
import { bucketReadings } from '../../store/series.js'
import type { InfluxStore } from '../../store/influx.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoConfigFile, runCli, startTestApp, type TestApp } from '../helpers/app.js'
import { startInfluxDb1, startV2WriteRewriteProxy, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'
import { apiFetch } from '../helpers/auth.js'

const MINUTE = 60_000
const DAY = 1440 * MINUTE
const STATION = 'akagawa-haguro'
const OTHER = 'oyama-oyama'

interface SeriesPoint { time: string, mean: number | null, min: number | null, max: number | null, count: number, flagged: number, missing: number }
interface SeriesAnswer { bucketMs: number, points: SeriesPoint[] }

/** `days` of 10-minute readings: a flood wave, every 50th failed (spike), every 70th missing, every 90th suspect */
function history (stationId: string, deviceId: string, end: number, days: number): Reading[] {
  const out: Reading[] = []
  const n = days * 144
  for (let i = 0; i < n; i++) {
    const time = end - (n - 1 - i) * 10 * MINUTE
    const missing = i % 70 === 5
    const flag: QcFlag = missing ? 9 : i % 50 === 7 ? 4 : i % 90 === 11 ? 3 : 1
    const level = missing ? Number.NaN : 0.8 + 1.5 * Math.exp(-(((i - n * 0.7) / 60) ** 2)) + (flag === 4 ? 3 : 0)
    out.push({
      stationId, deviceId, time, receivedAt: time + 1500, level, batteryV: 3.6 - i * 1e-5, temperatureC: 12, spreadMm: 4,
      validPings: 19, totalPings: 20, deviceFlags: 0, seq: i % 65536,
      qc: { flag, tests: flag === 1 ? {} : flag === 9 ? { missing: 9 } : flag === 4 ? { spike: 4 } : { rateOfChange: 3 } }
    })
  }
  return out
}

async function getJson<T> (url: string): Promise<T> {
  const res = await apiFetch(url)
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

function parseCsv (text: string): string[][] {
  // our writer quotes only cells with , " or newlines; the readings columns have none but qc_tests JSON
  const rows: string[][] = []
  for (const line of text.split('\r\n')) {
    if (line === '') continue
    const cells: string[] = []
    let cur = ''
    let quoted = false
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { cur += '"'; i++ } else if (c === '"') quoted = false
        else cur += c
      } else if (c === '"') quoted = true
      else if (c === ',') { cells.push(cur); cur = '' } else cur += c
    }
    cells.push(cur)
    rows.push(cells)
  }
  return rows
}

const end = Math.floor(Date.now() / (10 * MINUTE)) * 10 * MINUTE - 10 * MINUTE

describe('station history and export (embedded store)', () => {
  let t: TestApp
  let readings: Reading[]
  let other: Reading[]

  beforeAll(async () => {
    t = await startTestApp()
    readings = history(STATION, 'gauge-akagawa-01', end, 30)
    other = history(OTHER, 'gauge-oyama-01', end, 2)
    for (const r of [...readings, ...other]) await t.app.store!.writeReading(r)
  }, 60_000)
  afterAll(async () => { await t?.close() })

  it('downsamples 30 days in one query to at most `points` buckets, failed and missing levels counted, not averaged', async () => {
    const from = end - 30 * DAY
    const body = await getJson<SeriesAnswer>(`${t.info.dashboardUrl}/api/stations/${STATION}/series?from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}&points=400`)
    expect(body.points.length).toBeLessThanOrEqual(400)
    expect(body.points.length).toBeGreaterThan(300)
    const expected = bucketReadings(readings, { from, to: end, bucketMs: body.bucketMs })
    expect(body.points.length).toBe(expected.length)
    for (const [i, p] of body.points.entries()) {
      const e = expected[i]!
      expect(Date.parse(p.time)).toBe(e.time)
      expect({ count: p.count, flagged: p.flagged, missing: p.missing }).toEqual({ count: e.count, flagged: e.flagged, missing: e.missing })
      expect(p.mean).toBeCloseTo(e.mean!, 9)
      expect(p.max).toBeCloseTo(e.max!, 9)
    }
    // the +3 m spikes (QC flag 4) never reach the drawn maximum
    expect(Math.max(...body.points.map(p => p.max ?? 0))).toBeLessThan(2.4)
    expect(body.points.reduce((n, p) => n + p.count + p.missing, 0) + readings.filter(r => r.qc?.flag === 4).length).toBe(readings.length)
  })

  it('returns raw readings for a short range (6 h at 10 min)', async () => {
    const from = end - 6 * 60 * MINUTE
    const body = await getJson<SeriesAnswer>(`${t.info.dashboardUrl}/api/stations/${STATION}/series?from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}`)
    expect(body.points.length).toBe(37)
    expect(body.points.every(p => p.count + p.missing + (p.flagged > 0 && p.count === 0 ? 1 : 0) === 1)).toBe(true)
  })

  it('answers trends with a rate of rise and the next threshold', async () => {
    const trends = await getJson<Array<{ stationId: string, rateMPerHour: number | null, next: { key: string } | null }>>(`${t.info.dashboardUrl}/api/stations/trends`)
    expect(trends.find(x => x.stationId === STATION)).toMatchObject({ next: { key: expect.any(String) } })
    expect(trends.find(x => x.stationId === STATION)!.rateMPerHour).not.toBeNull()
  })

  it('exports readings of two stations as CSV: BOM, header, ISO times at +09:00, the same rows as the store', async () => {
    const from = end - 2 * DAY + 1
    const res = await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=readings&format=csv&ids=${STATION},${OTHER}&from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="mimamori-readings-\d{8}-\d{8}\.csv"/)
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const rows = parseCsv(new TextDecoder().decode(bytes.slice(3)))
    const header = rows.shift()!
    expect(header.slice(0, 6)).toEqual(['station_id', 'device_id', 'time', 'received_at', 'level_m', 'qc_flag'])
    const stored = [
      ...(await t.app.store!.readings(STATION, { from, to: end, limit: 10_000, order: 'asc' })),
      ...(await t.app.store!.readings(OTHER, { from, to: end, limit: 10_000, order: 'asc' }))
    ]
    expect(Number(res.headers.get('x-mimamori-rows-estimate'))).toBeGreaterThanOrEqual(stored.length)
    expect(rows.length).toBe(stored.length)
    for (const [i, r] of stored.entries()) {
      const row = rows[i]!
      expect(row[0]).toBe(r.stationId)
      expect(row[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00$/)
      expect(Date.parse(row[2]!)).toBe(r.time)
      expect(row[4] === '' ? null : Number(row[4])).toBe(Number.isFinite(r.level) ? r.level : null)
      expect(Number(row[5])).toBe(r.qc?.flag)
    }
  })

  it('exports the same rows as Parquet (read back with hyparquet)', async () => {
    const from = end - 2 * DAY + 1
    const res = await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=readings&format=parquet&ids=${OTHER}&from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}`)
    expect(res.status).toBe(200)
    const file = await res.arrayBuffer()
    const objects = await parquetReadObjects({ file }) as Array<Record<string, unknown>>
    const stored = await t.app.store!.readings(OTHER, { from, to: end, limit: 10_000, order: 'asc' })
    expect(objects.length).toBe(stored.length)
    expect(objects[0]!.station_id).toBe(OTHER)
    expect((objects[0]!.time as Date).getTime()).toBe(stored[0]!.time)
    expect(objects.map(o => o.level_m)).toEqual(stored.map(r => Number.isFinite(r.level) ? r.level : null))
  })

  it('exports alerts and sightings tables (header only when empty) and refuses an unknown station with a coded error', async () => {
    const range = `from=${new Date(end - DAY).toISOString()}&to=${new Date(end).toISOString()}`
    const csv = await (await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=sightings&${range}`)).text()
    expect(csv.replace('\uFEFF', '').split('\r\n')[0]).toBe('id,camera_id,burst_id,time,lat,lon,frames,positives,best_score,label,alert_id,suppressed')
    const bad = await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=readings&ids=nowhere&${range}`)
    expect(bad.status).toBe(404)
    expect(await bad.json()).toMatchObject({ code: 'MIMAMORI_ERR_NOT_FOUND' })
  })

  it('mimamori export writes the same Parquet from the CLI, and refuses a bad dataset with a coded error', async () => {
    const out = join(t.dataDir, 'cli.parquet')
    const from = new Date(end - 2 * DAY + 1).toISOString()
    const to = new Date(end).toISOString()
    const env = { MIMAMORI_DATA_DIR: t.dataDir, MIMAMORI_LOG__LEVEL: 'silent' }
    const ok = await runCli(['export', '--config', demoConfigFile(), '--dataset', 'readings', '--ids', OTHER, '--from', from, '--to', to, '--format', 'parquet', '--out', out], env)
    expect(ok.err).toMatch(/export: \d+ rows → /)
    expect(ok.code).toBe(0)
    const file = readFileSync(out)
    const objects = await parquetReadObjects({ file: file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) }) as Array<Record<string, unknown>>
    const stored = await t.app.store!.readings(OTHER, { from: Date.parse(from), to: end, limit: 10_000, order: 'asc' })
    expect(objects.map(o => (o.time as Date).getTime())).toEqual(stored.map(r => r.time))
    const bad = await runCli(['export', '--config', demoConfigFile(), '--dataset', 'weather', '--from', from, '--to', to], env)
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/MIMAMORI_ERR_BAD_REQUEST: --dataset must be one of/)
  })

  it('compresses the API and the page, and sends versioned assets immutable', async () => {
    const res = await apiFetch(`${t.info.dashboardUrl}/`, { headers: { 'accept-encoding': 'gzip' } })
    const html = await res.text()
    const script = /src="(\/app\/[0-9a-f]{12}\/dashboard\/web\/src\/main\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const js = await apiFetch(`${t.info.dashboardUrl}${script!}`, { headers: { 'accept-encoding': 'br, gzip' } })
    expect(js.headers.get('cache-control')).toMatch(/immutable/)
    expect(js.headers.get('content-encoding')).toMatch(/br|gzip/)
    await js.arrayBuffer() // an unread body would hold its response (and the server's close) open
    const leaflet = /src="(\/vendor\/leaflet@[\d.]+\/leaflet\.js)"/.exec(html)?.[1]
    const lib = await apiFetch(`${t.info.dashboardUrl}${leaflet!}`)
    expect(lib.headers.get('cache-control')).toMatch(/immutable/)
    await lib.arrayBuffer()
  })

  it('serves the OpenAPI document generated from the TypeBox schemas', async () => {
    const doc = await getJson<{ openapi: string, paths: Record<string, unknown> }>(`${t.info.dashboardUrl}/docs/json`)
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/stations/{id}/series', '/api/export', '/api/alerts']))
  })
})

describe('station history on InfluxDB 1.x (InfluxQL GROUP BY time)', () => {
  let influx: Awaited<ReturnType<typeof startInfluxDb1>>
  let proxy: Awaited<ReturnType<typeof startV2WriteRewriteProxy>>
  let t: TestApp
  let readings: Reading[]

  beforeAll(async () => {
    influx = await startInfluxDb1()
    await influx.createDatabase('river')
    proxy = await startV2WriteRewriteProxy(influx.url)
    t = await startTestApp({
      store: { backend: 'influxdb', influx: { url: proxy.url, queryUrl: influx.url, bucket: 'river', batchSize: 5000, flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 500 } }
    })
    readings = history(STATION, 'gauge-akagawa-01', end, 7)
    for (const r of readings) await t.app.store!.writeReading(r)
    await (t.app.store as InfluxStore).flushed(60_000)
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await proxy?.close()
    await influx?.close()
  })

  it('buckets like the embedded store: same grid, counts, means; exports the same rows', async () => {
    const from = end - 7 * DAY
    const body = await getJson<SeriesAnswer>(`${t.info.dashboardUrl}/api/stations/${STATION}/series?from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}&points=200`)
    expect(body.points.length).toBeLessThanOrEqual(200)
    const expected = bucketReadings(readings, { from, to: end, bucketMs: body.bucketMs })
    expect(body.points.map(p => [Date.parse(p.time), p.count, p.flagged, p.missing])).toEqual(expected.map(e => [e.time, e.count, e.flagged, e.missing]))
    for (const [i, p] of body.points.entries()) expect(p.mean).toBeCloseTo(expected[i]!.mean!, 9)

    const res = await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=readings&format=parquet&ids=${STATION}&from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}`)
    const objects = await parquetReadObjects({ file: await res.arrayBuffer() }) as Array<Record<string, unknown>>
    expect(objects.length).toBe(readings.filter(r => r.time >= from).length)
    expect(objects.map(o => o.qc_flag)).toEqual(readings.filter(r => r.time >= from).map(r => r.qc!.flag))
  })
})

describe('station history on VictoriaMetrics (no InfluxQL: the outbox ledger answers)', () => {
  let vm: ManagedServer
  let t: TestApp
  let readings: Reading[]

  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    t = await startTestApp({ store: { backend: 'influxdb', influx: { url: vm.url, bucket: 'river', batchSize: 5000, flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 400, timeoutMs: 2000 } } })
    readings = history(STATION, 'gauge-akagawa-01', end, 2)
    for (const r of readings) await t.app.store!.writeReading(r)
    await (t.app.store as InfluxStore).flushed(60_000)
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await vm?.close()
  })

  it('buckets the delivered rows kept in the ledger, and exports them', async () => {
    const from = end - 2 * DAY
    const body = await getJson<SeriesAnswer>(`${t.info.dashboardUrl}/api/stations/${STATION}/series?from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}&points=100`)
    const expected = bucketReadings(readings, { from, to: end, bucketMs: body.bucketMs })
    expect(body.points.length).toBeLessThanOrEqual(100)
    expect(body.points.map(p => [Date.parse(p.time), p.count, p.flagged, p.missing])).toEqual(expected.map(e => [e.time, e.count, e.flagged, e.missing]))
    const res = await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=readings&format=csv&ids=${STATION}&from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}`)
    const lines = (await res.text()).split('\r\n').filter(l => l !== '')
    expect(lines.length - 1).toBe(readings.filter(r => r.time >= from).length)
  })
})
