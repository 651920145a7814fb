import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import sharp from 'sharp'
import { encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { silentLogger } from '../../core/logger.js'
import { createSimulatedCamera, type SimulatedCamera } from '../../simulators/camera-device.js'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { openSse, type SseClient } from '../helpers/sse.js'
import { apiFetch, tokenFor } from '../helpers/auth.js'

const img = (name: string): string => join(SHARED, 'images', name)

interface SightingJson { id: string, cameraId: string, positives: number, frames: number, suppressed: boolean, hunters: string[], alertId: string | null, thumbnailUrl: string | null, alert: null | { state: string } }

/**
 * Camera simulator → MQTT → ingest (store, queue) → worker pool with the real
 * model → detections → k-of-n sighting → per-camera cooldown → alert lifecycle
 * → hunter-specific SSE, feedback and precision over the HTTP API.
 */
describe('wildlife end to end with the real model and the shared images', () => {
  let t: TestApp
  let yutagawa: SimulatedCamera
  let haguro: SimulatedCamera
  let sseA: SseClient
  let sseB: SseClient
  let sseMain: SseClient
  /** as the test admin, or as the holder of init.token (a hunter's own account) */
  const api = async <T>(path: string, init?: { method: string, body?: unknown, token?: string }): Promise<{ status: number, body: T }> => {
    const auth: Record<string, string> = init?.token === undefined ? {} : { authorization: `Bearer ${init.token}` }
    const res = await apiFetch(t.info.dashboardUrl + path, init === undefined
      ? undefined
      : { method: init.method, headers: init.body === undefined ? auth : { 'content-type': 'application/json', ...auth }, body: init.body === undefined ? undefined : JSON.stringify(init.body) })
    const text = await res.text()
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T }
  }

  beforeAll(async () => {
    t = await startTestApp({
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 2 },
      wildlife: { minPositiveFrames: 2, cooldownMs: 30 * 60_000 }
    })
    const cams = t.config.cameras
    const cam = (id: string) => cams.find(c => c.id === id)!
    // hunter A: a 2 km circle around the Yutagawa orchard; B: a polygon around the Haguro fields; C: far away
    expect((await api('/api/hunters', { method: 'POST', body: { id: 'hunter-a', name: '田中', contact: 'tel:000' } })).status).toBe(201)
    expect((await api('/api/hunters', { method: 'POST', body: { id: 'hunter-b', name: '佐藤' } })).status).toBe(201)
    expect((await api('/api/hunters', { method: 'POST', body: { id: 'hunter-c', name: '鈴木' } })).status).toBe(201)
    const y = cam('cam-yutagawa-01')
    const h = cam('cam-haguro-01')
    expect((await api('/api/hunters/hunter-a/areas', { method: 'POST', body: { name: '湯田川', shape: { type: 'circle', lat: y.lat + 0.005, lon: y.lon, radiusM: 2000 } } })).status).toBe(201)
    expect((await api('/api/hunters/hunter-b/areas', {
      method: 'POST',
      body: { name: '羽黒', shape: { type: 'polygon', points: [[h.lat - 0.01, h.lon - 0.01], [h.lat - 0.01, h.lon + 0.01], [h.lat + 0.01, h.lon + 0.01], [h.lat + 0.01, h.lon - 0.01]] } }
    })).status).toBe(201)
    expect((await api('/api/hunters/hunter-c/areas', { method: 'POST', body: { shape: { type: 'circle', lat: 35.0, lon: 135.0, radiusM: 5000 } } })).status).toBe(201)
    const bad = await api<{ code: string }>('/api/hunters/hunter-c/areas', { method: 'POST', body: { shape: { type: 'polygon', points: [[1, 2]] } } })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('MIMAMORI_ERR_BAD_REQUEST')

    sseA = await openSse(t.info.dashboardUrl + '/api/hunters/hunter-a/events')
    sseB = await openSse(t.info.dashboardUrl + '/api/hunters/hunter-b/events')
    sseMain = await openSse(t.info.dashboardUrl + '/api/events')
    // high quality upload so the re-encode does not move the hard frames' scores
    yutagawa = createSimulatedCamera({ camera: y, mqttUrl: t.info.mqttUrl, logger: silentLogger(), jpeg: { maxSide: 1280, quality: 95 } })
    haguro = createSimulatedCamera({ camera: h, mqttUrl: t.info.mqttUrl, logger: silentLogger(), jpeg: { maxSide: 1280, quality: 95 } })
    await yutagawa.connect()
    await haguro.connect()
  })

  afterAll(async () => {
    sseA?.close()
    sseB?.close()
    sseMain?.close()
    await yutagawa?.close()
    await haguro?.close()
    await t?.close()
  })

  const sightings = async (q = ''): Promise<SightingJson[]> => (await api<SightingJson[]>('/api/wildlife/sightings' + q)).body
  const wildlife = () => t.app.ingest!.wildlife

  it('starts with detection enabled on the real model', () => {
    expect(wildlife().vision.enabled).toBe(true)
  })

  it('turns a burst with 2 of 3 monkey frames into one sighting, one alert, delivered only to the hunter whose area holds the camera', async () => {
    const base = Math.floor(Date.now() / 1000) * 1000 - 60_000
    await yutagawa.burstOf([img('monkey_09.jpg'), img('none_01.jpg'), img('monkey_10.jpg')], base)
    const s = await waitFor(async () => (await sightings('?cameraId=cam-yutagawa-01'))[0], 'sighting at Yutagawa', 60_000)
    expect(s).toMatchObject({ cameraId: 'cam-yutagawa-01', positives: 2, frames: 3, suppressed: false, hunters: ['hunter-a'] })
    expect(s.alertId).not.toBeNull()
    expect(s.alert?.state).toBe('firing')
    const ev = await sseA.next(e => e.event === 'wildlifeAlert', 20_000)
    expect((JSON.parse(ev.data) as SightingJson).id).toBe(s.id)
    expect(sseB.events.filter(e => e.event === 'wildlifeAlert')).toHaveLength(0)
    await sseMain.next(e => e.event === 'sighting')
    await sseMain.next(e => e.event === 'alert' && (JSON.parse(e.data) as { kind: string }).kind === 'wildlife')
    // the alert is in the shared lifecycle, with the best frame's thumbnail
    const alert = await api<{ kind: string, state: string, details: { thumbnailUrl: string, hunters: string[] } }>(`/api/alerts/${s.alertId}`)
    expect(alert.body).toMatchObject({ kind: 'wildlife', state: 'firing' })
    expect(alert.body.details.hunters).toEqual(['hunter-a'])
    const thumb = await apiFetch(t.info.dashboardUrl + alert.body.details.thumbnailUrl)
    expect(thumb.headers.get('content-type')).toBe('image/jpeg')
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBeLessThanOrEqual(320)
    // every frame has a stored detection
    const dets = await api<Array<{ frameIndex: number, positive: boolean }>>(`/api/wildlife/detections?cameraId=cam-yutagawa-01&from=${new Date(base - 1000).toISOString()}&to=${new Date(base + 5000).toISOString()}`)
    expect(dets.body.map(d => d.positive).sort()).toEqual([false, true, true])
  })

  it('keeps one troop to one alert: a second burst inside the cooldown is recorded but raises nothing', async () => {
    const before = wildlife().stats.alerts
    await yutagawa.burstOf([img('monkey_11.jpg'), img('monkey_12.jpg'), img('monkey_13.jpg')], Math.floor(Date.now() / 1000) * 1000 - 30_000)
    const list = await waitFor(async () => { const l = await sightings('?cameraId=cam-yutagawa-01'); return l.length >= 2 ? l : undefined }, 'second sighting', 60_000)
    expect(list[0]).toMatchObject({ suppressed: true, alertId: null, positives: 2 })
    expect(wildlife().stats.alerts).toBe(before)
    expect((await api<unknown[]>('/api/hunters/hunter-a/alerts')).body).toHaveLength(1)
  })

  it('needs k positive frames: one hard monkey frame alone is no sighting; two frames the baseline misses (full frame, detector crop) are', async () => {
    await haguro.burstOf([img('none_10.jpg'), img('monkey_03.jpg'), img('none_13.jpg')], Math.floor(Date.now() / 1000) * 1000 - 20_000)
    await waitFor(async () => { await wildlife().idle(); return wildlife().stats.detections >= 9 ? true : undefined }, 'third burst analysed', 30_000)
    expect(await sightings('?cameraId=cam-haguro-01')).toHaveLength(0)

    await haguro.burstOf([img('monkey_04.jpg'), img('none_10.jpg'), img('monkey_03.jpg')], Math.floor(Date.now() / 1000) * 1000 - 10_000)
    const s = await waitFor(async () => (await sightings('?cameraId=cam-haguro-01'))[0], 'sighting at Haguro', 60_000)
    expect(s).toMatchObject({ positives: 2, suppressed: false, hunters: ['hunter-b'] })
    const ev = await sseB.next(e => e.event === 'wildlifeAlert', 20_000)
    expect((JSON.parse(ev.data) as SightingJson).cameraId).toBe('cam-haguro-01')
    expect(sseA.events.filter(e => e.event === 'wildlifeAlert')).toHaveLength(1)
  })

  it('stores hunter feedback and reports precision per camera and overall', async () => {
    const [y] = await sightings('?cameraId=cam-yutagawa-01&limit=5').then(l => l.filter(s => !s.suppressed))
    const [h] = await sightings('?cameraId=cam-haguro-01')
    // feedback comes from the hunter's own account, on an alert delivered to them
    const a = await tokenFor(t.config, 'tanaka', 'hunter', { hunterId: 'hunter-a' })
    const b = await tokenFor(t.config, 'sato', 'hunter', { hunterId: 'hunter-b' })
    const ok = await api<{ feedback: unknown[] }>(`/api/wildlife/alerts/${y!.alertId}/feedback`, { method: 'POST', body: { verdict: 'confirm', note: '3頭' }, token: a })
    expect(ok.status).toBe(200)
    expect(ok.body.feedback).toHaveLength(1)
    // not in another hunter's name, not on an alert that went to someone else, not as staff
    expect((await api(`/api/wildlife/alerts/${y!.alertId}/feedback`, { method: 'POST', body: { hunterId: 'hunter-b', verdict: 'reject' }, token: a })).status).toBe(403)
    expect((await api(`/api/wildlife/alerts/${y!.alertId}/feedback`, { method: 'POST', body: { verdict: 'reject' }, token: b })).status).toBe(403)
    expect((await api(`/api/wildlife/alerts/${y!.alertId}/feedback`, { method: 'POST', body: { hunterId: 'hunter-a', verdict: 'reject' } })).status).toBe(403)
    // a hunter sees only the sightings of their own areas, and no other hunter
    const mine = await api<SightingJson[]>('/api/wildlife/sightings?limit=100', { method: 'GET', token: a })
    expect(mine.body.length).toBeGreaterThan(0)
    expect(mine.body.every(s => s.cameraId === 'cam-yutagawa-01')).toBe(true)
    expect((await api('/api/wildlife/sightings?hunterId=hunter-b', { method: 'GET', token: a })).status).toBe(403)
    expect((await api(`/api/wildlife/sightings/${h!.id}`, { method: 'GET', token: a })).status).toBe(403)
    expect((await api('/api/hunters', { method: 'GET', token: a })).status).toBe(403)
    expect((await api('/api/hunters/hunter-b', { method: 'GET', token: a })).status).toBe(403)
    expect((await api('/api/hunters/hunter-a', { method: 'GET', token: a })).status).toBe(200)
    // feedback is idempotent per hunter: a changed mind replaces the verdict
    await api(`/api/wildlife/alerts/${h!.alertId}/feedback`, { method: 'POST', body: { verdict: 'confirm' }, token: b })
    await api(`/api/wildlife/alerts/${h!.alertId}/feedback`, { method: 'POST', body: { hunterId: 'hunter-b', verdict: 'reject', note: 'カモシカ' }, token: b })
    const p = await api<{ overall: { sightings: number, confirmed: number, rejected: number, precision: number }, cameras: Array<{ cameraId: string, precision: number | null }> }>('/api/wildlife/precision')
    expect(p.body.overall).toEqual({ sightings: 2, confirmed: 1, rejected: 1, precision: 0.5 })
    expect(p.body.cameras).toEqual([
      expect.objectContaining({ cameraId: 'cam-haguro-01', precision: 0 }),
      expect.objectContaining({ cameraId: 'cam-yutagawa-01', precision: 1 })
    ])
    const bad = await api<{ code: string }>(`/api/wildlife/alerts/${y!.alertId}/feedback`, { method: 'POST', body: { verdict: 'maybe' }, token: a })
    expect(bad.status).toBe(400)
    const unknown = await api<{ code: string }>('/api/wildlife/alerts/nope/feedback', { method: 'POST', body: { verdict: 'confirm' }, token: a })
    expect(unknown.body.code).toBe('MIMAMORI_ERR_NOT_FOUND')
    // a hunter's verdict acknowledges the alert through the shared lifecycle (escalation stops), in the hunter's name
    const ack = await api<{ state: string, acknowledgedBy: string }>(`/api/alerts/${h!.alertId}`, { method: 'GET', token: await tokenFor(t.config, 'bosai', 'staff') })
    expect(ack.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'sato' })
  })

  it('refuses unusable images with coded errors, never crashes a worker, and keeps analysing', async () => {
    const rogue = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'cam-yutagawa-01-rogue' })
    try {
      const health = async () => (await api<{ ingest: { rejected: Record<string, number> } }>('/healthz')).body.ingest.rejected
      const before = await health()
      const meta = (i: number) => ({ capturedAt: new Date(Date.now() - 5000 + i).toISOString(), burstId: 'bad', frameIndex: i, frameCount: 9 })
      const good = readFileSync(img('none_03.jpg'))
      // a JPEG header that claims 60000 × 60000 pixels (decompression bomb)
      const bomb = Buffer.from(good)
      const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]))
      bomb.writeUInt16BE(60000, sof + 5)
      bomb.writeUInt16BE(60000, sof + 7)
      const png = await sharp(good).png().toBuffer()
      const send = async (i: number, body: Buffer) => await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/image', encodeCameraEnvelope(meta(i), body), { qos: 1 })
      await send(0, Buffer.from('plain text, not an image at all'))
      await send(1, bomb)
      await send(2, png)
      await send(3, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]))
      // a truncated JPEG: a valid header, so it is stored; its decode fails in the worker
      await send(4, good.subarray(0, Math.floor(good.length / 3)))
      const delta = await waitFor(async () => {
        const r = await health()
        const d = (c: string) => (r[c] ?? 0) - (before[c] ?? 0)
        return d('MIMAMORI_ERR_IMAGE_FORMAT') + d('MIMAMORI_ERR_IMAGE_DIMENSIONS') + d('MIMAMORI_ERR_IMAGE_CORRUPT') >= 4 ? d : undefined
      }, 'bad images refused')
      expect(delta('MIMAMORI_ERR_IMAGE_FORMAT')).toBe(2)
      expect(delta('MIMAMORI_ERR_IMAGE_DIMENSIONS')).toBe(1)
      expect(delta('MIMAMORI_ERR_IMAGE_CORRUPT')).toBe(1)
      const corrupt = await waitFor(async () => {
        const d = (await api<Array<{ frameIndex: number, errorCode: string | null }>>('/api/wildlife/detections?cameraId=cam-yutagawa-01&limit=100')).body.find(x => x.frameIndex === 4 && x.errorCode !== null)
        return d
      }, 'truncated frame recorded with its error')
      expect(corrupt.errorCode).toBe('MIMAMORI_ERR_IMAGE_CORRUPT')
      expect(wildlife().vision.stats.workerRestarts).toBe(0)
      // and real frames are still analysed afterwards
      const n = wildlife().stats.detections
      await yutagawa.burstOf([img('none_05.jpg')])
      await waitFor(() => wildlife().stats.detections > n ? true : undefined, 'good frame after bad ones', 30_000)
    } finally {
      await rogue.endAsync()
    }
  })
})
