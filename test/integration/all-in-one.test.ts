import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import sharp from 'sharp'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { openSse } from '../helpers/sse.js'
import { apiFetch } from '../helpers/auth.js'

interface StationJson { id: string, status: string, latest: null | { level: number, time: string } }
interface HealthJson { ingest: { stored: number, duplicates: number, images: number, rejected: Record<string, number> } }

const MINUTE = 60_000

describe('all-in-one: device → MQTT → ingest → store → API and SSE', () => {
  let t: TestApp
  let device: MqttClient

  beforeAll(async () => {
    t = await startTestApp()
    // A separate MQTT client, exactly as a gauge on the network would connect.
    device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'gauge-uchikawa-01' })
  })

  afterAll(async () => {
    await device?.endAsync()
    await t?.close()
  })

  const api = async <T>(path: string): Promise<{ status: number, body: T }> => {
    const res = await apiFetch(t.info.dashboardUrl + path)
    return { status: res.status, body: await res.json() as T }
  }
  const health = async (): Promise<HealthJson> => (await api<HealthJson>('/healthz')).body

  function frame (levelM: number, time: number): Buffer {
    return Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 14, spreadMm: 3, validPings: 20, totalPings: 20, time }))
  }

  it('lists the demo stations with thresholds before any reading', async () => {
    const { status, body } = await api<StationJson[]>('/api/stations')
    expect(status).toBe(200)
    expect(body.map(s => s.id)).toContain('uchikawa-oizumi')
    expect(body.length).toBe(t.config.stations.length)
    expect(body.every(s => s.status === 'unknown' && s.latest === null)).toBe(true)
  })

  it('stores a published frame and shows it through the API and the SSE stream', async () => {
    const sse = await openSse(t.info.dashboardUrl + '/api/events')
    try {
      const time = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE
      // 氾濫注意 at 内川 is 1.4 m, 避難判断 1.9 m: 1.62 m must be classified as caution
      await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(1.62, time), { qos: 1 })

      const station = await waitFor(async () => {
        const { body } = await api<StationJson>('/api/stations/uchikawa-oizumi')
        return body.latest === null ? undefined : body
      }, 'reading in API')
      expect(station.latest?.level).toBe(1.62)
      expect(station.latest?.time).toBe(new Date(time).toISOString())
      expect(station.status).toBe('caution')

      const ev = await sse.next(e => e.event === 'reading' && (JSON.parse(e.data) as StationJson).id === 'uchikawa-oizumi')
      const payload = JSON.parse(ev.data) as StationJson
      expect(payload.latest?.level).toBe(1.62)
      expect(payload.status).toBe('caution')
      const change = await sse.next(e => e.event === 'statusChange')
      expect(JSON.parse(change.data)).toMatchObject({ stationId: 'uchikawa-oizumi', from: 'unknown', to: 'caution' })

      const readings = await api<{ readings: Array<{ level: number, time: string }> }>(
        `/api/stations/uchikawa-oizumi/readings?from=${new Date(time - MINUTE).toISOString()}&to=${new Date(time + MINUTE).toISOString()}`)
      expect(readings.status).toBe(200)
      expect(readings.body.readings).toEqual([expect.objectContaining({ level: 1.62, time: new Date(time).toISOString() })])
    } finally {
      sse.close()
    }
  })

  it('relays device online/offline status (retained topic and last will) to SSE', async () => {
    const sse = await openSse(t.info.dashboardUrl + '/api/events')
    try {
      const gauge = await mqtt.connectAsync(t.info.mqttUrl, {
        clientId: 'gauge-akagawa-01',
        will: { topic: 'mmr/v1/gauge/gauge-akagawa-01/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: true }
      })
      await gauge.publishAsync('mmr/v1/gauge/gauge-akagawa-01/status', '{"online":true,"batteryV":3.6}', { qos: 1, retain: true })
      const online = await sse.next(e => e.event === 'deviceStatus' && e.data.includes('gauge-akagawa-01'))
      expect(JSON.parse(online.data)).toMatchObject({ kind: 'gauge', deviceId: 'gauge-akagawa-01', online: true })
      // an unclean drop fires the will: the broker says offline on the device's behalf
      gauge.stream.destroy()
      const offline = await sse.next(e => e.event === 'deviceStatus' && e.data.includes('gauge-akagawa-01') && e.data.includes('"online":false'))
      expect(JSON.parse(offline.data)).toMatchObject({ deviceId: 'gauge-akagawa-01', online: false })
      await gauge.endAsync(true)
    } finally {
      sse.close()
    }
  })

  it('stores a repeated frame once (idempotent by station and time)', async () => {
    const time = Math.floor(Date.now() / MINUTE) * MINUTE - 20 * MINUTE
    const before = await health()
    await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(0.41, time), { qos: 1 })
    await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(0.41, time), { qos: 1 })
    const after = await waitFor(async () => {
      const h = await health()
      return h.ingest.stored + h.ingest.duplicates >= before.ingest.stored + before.ingest.duplicates + 2 ? h : undefined
    }, 'both frames processed')
    expect(after.ingest.stored - before.ingest.stored).toBe(1)
    expect(after.ingest.duplicates - before.ingest.duplicates).toBe(1)
    const { body } = await api<{ readings: unknown[] }>(`/api/stations/uchikawa-oizumi/readings?from=${new Date(time).toISOString()}&to=${new Date(time).toISOString()}`)
    expect(body.readings).toHaveLength(1)
  })

  it('rejects bad input with coded, counted errors and keeps working', async () => {
    const rogue = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'rogue-tester' })
    try {
      const before = (await health()).ingest.rejected
      const aboveSensorTime = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE
      await rogue.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', Buffer.from([0x10, 0x01]), { qos: 1 }) // truncated
      await rogue.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', Buffer.alloc(11, 0x20), { qos: 1 }) // version 2
      await rogue.publishAsync('mmr/v1/gauge/gauge-unknown-99/up', frame(0.5, Date.now()), { qos: 1 })
      await rogue.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(9.5, aboveSensorTime), { qos: 1 }) // above the 4 m sensor: stored, flagged fail
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/image', Buffer.from('not an envelope'), { qos: 1 })
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/image',
        encodeCameraEnvelope({ capturedAt: new Date().toISOString(), burstId: 'b1', frameIndex: 0, frameCount: 1 }, Buffer.from('garbage, not a jpeg')), { qos: 1 })
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/image', Buffer.alloc(t.config.ingest.maxImageBytes + 1), { qos: 1 })

      const rejected = await waitFor(async () => {
        const r = (await health()).ingest.rejected
        const total = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0)
        return total(r) - total(before) >= 6 ? r : undefined
      }, 'all bad messages counted')
      const delta = (code: string): number => (rejected[code] ?? 0) - (before[code] ?? 0)
      expect(delta('MIMAMORI_ERR_BAD_FRAME')).toBe(1)
      expect(delta('MIMAMORI_ERR_UNSUPPORTED_VERSION')).toBe(1)
      expect(delta('MIMAMORI_ERR_UNKNOWN_DEVICE')).toBe(1)
      // a level above what the sensor can see is kept as evidence, QC flag 4 (fail), not refused
      expect(delta('MIMAMORI_ERR_INVALID_READING')).toBe(0)
      const iso = new Date(aboveSensorTime).toISOString()
      const stored = await waitFor(async () => {
        const { body } = await api<{ readings: Array<{ level: number | null, qc: { flag: number } }> }>(`/api/stations/uchikawa-oizumi/readings?from=${iso}&to=${iso}`)
        return body.readings[0]
      }, 'above-sensor reading stored')
      expect(stored.qc.flag).toBe(4)
      expect(delta('MIMAMORI_ERR_BAD_PAYLOAD')).toBe(1)
      expect(delta('MIMAMORI_ERR_IMAGE_FORMAT')).toBe(1) // an envelope around bytes that are not an image
      expect(delta('MIMAMORI_ERR_PAYLOAD_TOO_LARGE')).toBe(1)

      // and the pipeline still accepts good data afterwards
      const time = Math.floor(Date.now() / MINUTE) * MINUTE - 40 * MINUTE
      await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(0.77, time), { qos: 1 })
      await waitFor(async () => {
        const { body } = await api<{ readings: Array<{ level: number }> }>(`/api/stations/uchikawa-oizumi/readings?from=${new Date(time).toISOString()}&to=${new Date(time).toISOString()}`)
        return body.readings[0]?.level === 0.77 ? true : undefined
      }, 'good frame after bad ones')
    } finally {
      await rogue.endAsync()
    }
  })

  it('accepts a real camera JPEG and serves it as the latest image', async () => {
    const cam = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'cam-yutagawa-01' })
    try {
      const jpeg = await sharp(readFileSync(join(SHARED, 'images', 'none_01.jpg'))).resize({ width: 640 }).jpeg().toBuffer()
      const capturedAt = new Date(Math.floor(Date.now() / 1000) * 1000)
      await cam.publishAsync('mmr/v1/camera/cam-yutagawa-01/image',
        encodeCameraEnvelope({ capturedAt: capturedAt.toISOString(), burstId: 'burst-1', frameIndex: 0, frameCount: 1, batteryV: 7.1 }, jpeg), { qos: 1 })
      const cameras = await waitFor(async () => {
        const { body } = await api<Array<{ id: string, latest: null | { width: number, imageUrl: string, time: string } }>>('/api/cameras')
        const c = body.find(x => x.id === 'cam-yutagawa-01')
        return c?.latest === null ? undefined : c
      }, 'camera image')
      expect(cameras.latest?.width).toBe(640)
      expect(cameras.latest?.time).toBe(capturedAt.toISOString())
      const img = await apiFetch(t.info.dashboardUrl + (cameras.latest?.imageUrl ?? ''))
      expect(img.headers.get('content-type')).toBe('image/jpeg')
      expect(Buffer.from(await img.arrayBuffer()).equals(jpeg)).toBe(true)
    } finally {
      await cam.endAsync()
    }
  })

  it('answers bad HTTP requests with 400/404 and a coded body', async () => {
    const bad = await api<{ code: string, message: string }>('/api/stations/uchikawa-oizumi/readings?from=yesterday')
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('MIMAMORI_ERR_BAD_REQUEST')
    expect(bad.body.message).toContain('from')
    const inverted = await api<{ code: string }>('/api/stations/uchikawa-oizumi/readings?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')
    expect(inverted).toEqual({ status: 400, body: expect.objectContaining({ code: 'MIMAMORI_ERR_BAD_REQUEST' }) })
    const limit = await api<{ code: string }>('/api/stations/uchikawa-oizumi/readings?limit=0')
    expect(limit.status).toBe(400)
    const unknown = await api<{ code: string }>('/api/stations/nope/readings')
    expect(unknown).toEqual({ status: 404, body: expect.objectContaining({ code: 'MIMAMORI_ERR_NOT_FOUND' }) })
    const noRoute = await api<{ code: string }>('/api/nothing-here')
    expect(noRoute).toEqual({ status: 404, body: expect.objectContaining({ code: 'MIMAMORI_ERR_NOT_FOUND' }) })
    const injected = await api<{ code: string }>('/api/stations/..%2F..%2Fetc/readings')
    expect(injected.status).toBeGreaterThanOrEqual(400)
    expect(injected.status).toBeLessThan(500)
  })

  it('exposes Prometheus metrics fed by bus events and the service figures', async () => {
    const res = await apiFetch(t.info.dashboardUrl + '/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    const value = (line: RegExp): number => Number(line.exec(text)?.[1] ?? Number.NaN)
    // earlier tests stored readings at 内川 and were refused for several reasons
    expect(value(/^mimamori_readings_total\{station="uchikawa-oizumi"\} (\d+)/m)).toBeGreaterThanOrEqual(3)
    expect(value(/^mimamori_rejected_total\{code="MIMAMORI_ERR_UNKNOWN_DEVICE"\} (\d+)/m)).toBeGreaterThanOrEqual(1)
    const stored = (await health()).ingest.stored
    expect(value(/^mimamori_ingest_stored (\d+)/m)).toBe(stored)
    expect(text).toMatch(/^mimamori_process_resident_memory_bytes \d+/m)
  })

  it('closes idempotently', async () => {
    const other = await startTestApp()
    await Promise.all([other.app.close(), other.app.close()])
    await other.close()
    await expect(apiFetch(other.info.dashboardUrl + '/healthz')).rejects.toThrow()
  })
})
