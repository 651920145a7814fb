import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import sharp from 'sharp'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import { createOnDeviceDetector, onDeviceEngineOptions } from '../../edge/camera/on-device.js'
import { decodeCameraDetection, encodeCameraDetection } from '../../codecs/camera-detection.js'
import { createSimulatedCamera, type SimulatedCamera } from '../../simulators/camera-device.js'
import { readDemoConfig, SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { openSse, type SseClient } from '../helpers/sse.js'
import { apiFetch } from '../helpers/auth.js'

const img = (name: string): string => join(SHARED, 'images', name)
const MODEL = join(SHARED, 'models', 'mobilenetv2-12-int8.onnx')
const DETECTOR = join(SHARED, 'models', 'detector', 'yolox_nano.onnx')

interface SightingJson { id: string, cameraId: string, positives: number, frames: number, suppressed: boolean, hunters: string[], alertId: string | null, thumbnailUrl: string | null, alert: null | { state: string } }

/**
 * A camera on a metered link runs the real model itself and publishes one
 * detection message per burst (verdicts + a 160-px thumbnail). The server has
 * its own detection switched OFF, so the sighting and alert can only come from
 * the camera's message: on-device → MQTT → ingest → k-of-n → alert → hunter SSE.
 */
describe('on-device inference end to end with the real model', () => {
  let t: TestApp
  let cam: SimulatedCamera
  let sse: SseClient
  const api = async <T>(path: string, body?: unknown): Promise<{ status: number, body: T }> => {
    const res = await apiFetch(t.info.dashboardUrl + path, body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const text = await res.text()
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T }
  }

  beforeAll(async () => {
    const cameras = readDemoConfig().cameras.map(c => c.id === 'cam-yutagawa-01' ? { ...c, onDeviceInference: true } : c)
    t = await startTestApp({ cameras, vision: { enabled: false }, wildlife: { minPositiveFrames: 2 } })
    const y = t.config.cameras.find(c => c.id === 'cam-yutagawa-01')!
    expect(y.onDeviceInference).toBe(true)
    expect((await api('/api/hunters', { id: 'hunter-a', name: '田中' })).status).toBe(201)
    expect((await api('/api/hunters/hunter-a/areas', { shape: { type: 'circle', lat: y.lat, lon: y.lon, radiusM: 1000 } })).status).toBe(201)
    sse = await openSse(t.info.dashboardUrl + '/api/hunters/hunter-a/events')
    // the camera's engine: the same vision settings (model paths, thresholds) the server would use
    const camConfig = loadConfig({ overrides: { vision: { modelPath: MODEL, detectorPath: DETECTOR } } })
    const onDevice = await createOnDeviceDetector({ engine: onDeviceEngineOptions(camConfig, 160), logger: silentLogger() })
    cam = createSimulatedCamera({ camera: y, mqttUrl: t.info.mqttUrl, logger: silentLogger(), jpeg: { maxSide: 1280, quality: 95 }, onDevice })
    await cam.connect()
  })

  afterAll(async () => {
    sse?.close()
    await cam?.close()
    await t?.close()
  })

  it('turns an on-device burst into a sighting and an alert for the hunter, without sending a single image', async () => {
    expect(t.app.ingest!.wildlife.vision.enabled).toBe(false)
    const base = Math.floor(Date.now() / 1000) * 1000 - 60_000
    // a listener on the broker sees the message as it left the camera
    const watch = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'on-device-watch' })
    const seen: Buffer[] = []
    watch.on('message', (_topic, payload) => { seen.push(payload) })
    await watch.subscribeAsync('mmr/v1/camera/cam-yutagawa-01/detection', { qos: 1 })
    await cam.burstOf([img('monkey_09.jpg'), img('none_01.jpg'), img('monkey_10.jpg')], base)
    const sent = await waitFor(() => seen[0], 'detection message on the broker')
    await watch.endAsync()
    const y = t.config.cameras.find(c => c.id === 'cam-yutagawa-01')!
    // it carries the camera's position (information; the registered one stays authoritative)
    expect(decodeCameraDetection(sent).meta).toMatchObject({ frameCount: 3, lat: y.lat, lon: y.lon, batteryV: 7.2 })
    // one message for the whole burst, far smaller than the three frames
    expect(cam.sent.messages).toBe(1)
    expect(cam.sent.bytes).toBeLessThan(20_000)
    console.info(`[on-device] one ${cam.sent.bytes}-byte detection message for a 3-frame burst`)

    const s = await waitFor(async () => (await api<SightingJson[]>('/api/wildlife/sightings?cameraId=cam-yutagawa-01')).body[0], 'sighting from the camera', 30_000)
    expect(s).toMatchObject({ cameraId: 'cam-yutagawa-01', positives: 2, frames: 3, suppressed: false, hunters: ['hunter-a'] })
    expect(s.alert?.state).toBe('firing')
    const ev = await sse.next(e => e.event === 'wildlifeAlert', 20_000)
    expect((JSON.parse(ev.data) as SightingJson).id).toBe(s.id)
    // the best frame's thumbnail came from the camera, at most 160 px
    const thumb = await apiFetch(t.info.dashboardUrl + s.thumbnailUrl!)
    expect(thumb.headers.get('content-type')).toBe('image/jpeg')
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()
    expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(160)
    // per-frame detections are stored at their capture times; no image reached the server
    const dets = (await api<Array<{ frameIndex: number, positive: boolean, time: string }>>(`/api/wildlife/detections?cameraId=cam-yutagawa-01&from=${new Date(base - 1000).toISOString()}`)).body
    expect(dets.map(d => [d.frameIndex, d.positive, Date.parse(d.time)]).sort()).toEqual([[0, true, base], [1, false, base + 500], [2, true, base + 1000]])
    expect(existsSync(join(t.dataDir, 'images', 'cam-yutagawa-01'))).toBe(false)
  })

  it('records a redelivered message once and refuses malformed ones with a coded error', async () => {
    const rogue = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'cam-yutagawa-01-rogue' })
    try {
      const n = t.app.ingest!.wildlife.stats.detections
      const health = async () => (await api<{ ingest: { rejected: Record<string, number> } }>('/healthz')).body.ingest.rejected
      const before = (await health()).MIMAMORI_ERR_BAD_PAYLOAD ?? 0
      const capturedAt = new Date(Date.now() - 5000).toISOString()
      const msg = encodeCameraDetection({ burstId: 'dup', frameCount: 1, model: 'test', thumbnailFrame: null, frames: [{ frameIndex: 0, capturedAt, positive: false, score: 0.01, label: 'hay', via: 'none' }] }, null)
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/detection', msg, { qos: 1 })
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/detection', msg, { qos: 1 })
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/detection', Buffer.from('{"no":"framing"}'), { qos: 1 })
      // a position off the globe is refused as a whole, like any invalid metadata
      const offGlobe = encodeCameraDetection({ burstId: 'off-globe', frameCount: 1, model: 'test', thumbnailFrame: null, frames: [{ frameIndex: 0, capturedAt, positive: false, score: 0.01, label: 'hay', via: 'none' }], lat: 123, lon: 139.8 }, null)
      await rogue.publishAsync('mmr/v1/camera/cam-yutagawa-01/detection', offGlobe, { qos: 1 })
      await waitFor(async () => ((await health()).MIMAMORI_ERR_BAD_PAYLOAD ?? 0) >= before + 2 ? true : undefined, 'malformed messages refused')
      expect(t.app.ingest!.wildlife.stats.detections).toBe(n + 1)
    } finally {
      await rogue.endAsync()
    }
  })
})
