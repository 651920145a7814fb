import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import sharp from 'sharp'
import { encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { readDemoConfig, SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'

/**
 * A flood over real MQTT into a pool with ONE worker and room for ONE waiting
 * frame: every publish is acked only once its frame holds a place in the queue
 * (gathering bursts included), so nothing is refused after the ack and every
 * frame ends with a detection row.
 */
describe('wildlife back-pressure: a flood of frames from several cameras into a tiny queue', () => {
  let t: TestApp
  const clients: MqttClient[] = []
  const cams = readDemoConfig().cameras
  const extra = [1, 2].map(i => ({ ...cams[0]!, id: `cam-flood-0${i}`, name: `洪水${i}`, nameEn: `flood ${i}`, lat: cams[0]!.lat + i / 100 }))
  const cameraIds = [...cams.map(c => c.id), ...extra.map(c => c.id)]
  const BURSTS = 3
  const FRAMES = 3

  beforeAll(async () => {
    t = await startTestApp({
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: '', workers: 1, queueLimit: 1, batchMax: 2 },
      wildlife: { burstGatherMs: 300, minPositiveFrames: 2 },
      cameras: [...cams, ...extra]
    })
    for (const id of cameraIds) clients.push(await mqtt.connectAsync(t.info.mqttUrl, { clientId: id }))
  })
  afterAll(async () => {
    for (const c of clients) await c.endAsync()
    await t?.close()
  })

  it('analyses every acked frame: one detection row per frame, none refused or lost', async () => {
    const names = ['monkey_09.jpg', 'none_01.jpg', 'monkey_10.jpg', 'none_05.jpg', 'monkey_11.jpg', 'none_20.jpg']
    const jpegs = await Promise.all(names.map(async n => await sharp(readFileSync(join(SHARED, 'images', n))).resize(480).jpeg({ quality: 85 }).toBuffer()))
    const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000
    const sends: Array<Promise<unknown>> = []
    for (const [c, client] of clients.entries()) {
      for (let b = 0; b < BURSTS; b++) {
        for (let f = 0; f < FRAMES; f++) {
          const meta = { capturedAt: new Date(base + b * 60_000 + f * 1000).toISOString(), burstId: `flood-${b}`, frameIndex: f, frameCount: FRAMES }
          // all at once, from every camera: the broker holds what ingest does not ack yet
          sends.push(client.publishAsync(`mmr/v1/camera/${cameraIds[c]}/image`, encodeCameraEnvelope(meta, jpegs[(c + b + f) % jpegs.length]!), { qos: 1 }))
        }
      }
    }
    await Promise.all(sends)
    const total = cameraIds.length * BURSTS * FRAMES
    const w = t.app.ingest!.wildlife
    await waitFor(() => w.stats.detections >= total ? true : undefined, `${total} detections`, 120_000)
    await w.idle()
    for (const id of cameraIds) {
      const rows = await (await apiFetch(`${t.info.dashboardUrl}/api/wildlife/detections?cameraId=${id}&limit=100`)).json() as Array<{ burstId: string, frameIndex: number, errorCode: string | null }>
      expect(rows.map(r => `${r.burstId}/${r.frameIndex}`).sort()).toEqual(Array.from({ length: BURSTS * FRAMES }, (_, i) => `flood-${Math.floor(i / FRAMES)}/${i % FRAMES}`))
      expect(rows.every(r => r.errorCode === null)).toBe(true)
    }
    expect(w.stats).toMatchObject({ detections: total, failed: 0 })
    expect(w.vision.stats).toMatchObject({ submitted: total, completed: total, failed: 0, queued: 0, reserved: 0 })
    const health = await (await apiFetch(`${t.info.dashboardUrl}/healthz`)).json() as { ingest: { images: number, rejected: Record<string, number> } }
    expect(health.ingest.images).toBe(total)
    expect(health.ingest.rejected).toEqual({})
  })
})
