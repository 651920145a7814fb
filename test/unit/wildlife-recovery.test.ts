import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { pino } from 'pino'
import sharp from 'sharp'
import { createApp, type App } from '../../cli/app.js'
import { loadConfig } from '../../core/config/load.js'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { demoConfigFile, SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch, tokenFor, useToken } from '../helpers/auth.js'

const MODEL = join(SHARED, 'models', 'mobilenetv2-12-int8.onnx')
const jpeg = async (name: string): Promise<Buffer> => await sharp(readFileSync(join(SHARED, 'images', name))).resize(480).jpeg({ quality: 90 }).toBuffer()

async function publishBurst (mqttUrl: string, cameraId: string, burstId: string, time: number, names: string[]): Promise<void> {
  const c = await mqtt.connectAsync(mqttUrl, { clientId: cameraId })
  try {
    for (const [i, n] of names.entries()) {
      await c.publishAsync(`mmr/v1/camera/${cameraId}/image`, encodeCameraEnvelope({ capturedAt: new Date(time + i * 1000).toISOString(), burstId, frameIndex: i, frameCount: names.length }, await jpeg(n)), { qos: 1 })
    }
  } finally {
    await c.endAsync()
  }
}

describe('wildlife start-up: recovery of acked frames never analysed, and running without a model', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f() })

  it('analyses at start the stored frames that have no detection row, newest first up to recoverMaxImages', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-recover-'))
    cleanup.push(async () => { rmSync(dataDir, { recursive: true, force: true }) })
    // 1st run: frames are stored and acked, but nothing analyses them (as if the process died with them queued in memory)
    const first = await startTestApp({ dataDir, vision: { enabled: false } })
    const base = Math.floor(Date.now() / 1000) * 1000 - 20 * 60_000
    await publishBurst(first.info.mqttUrl, 'cam-yutagawa-01', 'old', base, ['none_01.jpg', 'none_05.jpg', 'none_20.jpg'])
    await publishBurst(first.info.mqttUrl, 'cam-yutagawa-01', 'lost', base + 5 * 60_000, ['monkey_09.jpg', 'none_01.jpg', 'monkey_10.jpg'])
    await waitFor(() => first.app.ingest!.stats.images >= 6 ? true : undefined, 'frames stored')
    expect(first.app.ingest!.wildlife.stats.detections).toBe(0)
    await first.app.close()

    // 2nd run on the same data: only the 3 newest frames fit recoverMaxImages
    let t: TestApp | undefined = await startTestApp({ dataDir, vision: { modelPath: MODEL, detectorPath: '', workers: 1 }, wildlife: { recoverMaxImages: 3, minPositiveFrames: 2 } })
    cleanup.push(async () => { await t?.close() })
    const w = t.app.ingest!.wildlife
    expect(await w.recovered).toBe(3)
    await waitFor(() => w.stats.detections >= 3 ? true : undefined, 'recovered frames analysed', 60_000)
    await w.idle()
    const rows = await (await apiFetch(`${t.info.dashboardUrl}/api/wildlife/detections?cameraId=cam-yutagawa-01`)).json() as Array<{ burstId: string, frameIndex: number, positive: boolean }>
    expect(rows.map(r => `${r.burstId}/${r.frameIndex}`).sort()).toEqual(['lost/0', 'lost/1', 'lost/2'])
    expect(rows.filter(r => r.positive).map(r => r.frameIndex).sort()).toEqual([0, 2])
    // and the recovered burst is voted on as usual
    const sightings = await (await apiFetch(`${t.info.dashboardUrl}/api/wildlife/sightings`)).json() as Array<{ burstId: string, positives: number, frames: number }>
    expect(sightings).toEqual([expect.objectContaining({ burstId: 'lost', positives: 2, frames: 3 })])
    await t.app.close()
    t = undefined

    // 3rd run: the older burst is recovered now; what was analysed is not analysed again
    t = await startTestApp({ dataDir, vision: { modelPath: MODEL, detectorPath: '', workers: 1 } })
    expect(await t.app.ingest!.wildlife.recovered).toBe(3)
    await waitFor(() => t!.app.ingest!.wildlife.stats.detections >= 3 ? true : undefined, 'older burst analysed', 60_000)
    await t.app.ingest!.wildlife.idle()
    expect(t.app.ingest!.wildlife.stats.detections).toBe(3)
    const all = await (await apiFetch(`${t.info.dashboardUrl}/api/wildlife/detections?cameraId=cam-yutagawa-01`)).json() as unknown[]
    expect(all).toHaveLength(6)
  })

  it('starts without the model file: says so in the log and the API, and images and gauge readings still flow', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-nomodel-'))
    const lines: Array<{ level: number, msg: string, modelPath?: string }> = []
    const sink = new Writable({ write (chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as typeof lines[number]); done() } })
    const missing = join(dataDir, 'models', 'no-such-model.onnx')
    const config = loadConfig({ file: demoConfigFile(), overrides: { dataDir, log: { level: 'info' }, broker: { port: 0, wsPort: 0 }, dashboard: { port: 0 }, sim: { enabled: false }, vision: { modelPath: missing } } })
    const app: App = createApp({ config, logger: pino({ level: 'info' }, sink) })
    cleanup.push(async () => { await app.close(); rmSync(dataDir, { recursive: true, force: true }) })
    const info = await app.start()
    useToken(info.dashboardUrl, await tokenFor(config, 'test-admin', 'admin'))

    const warn = lines.find(l => l.msg.startsWith('wildlife detection DISABLED'))
    expect(warn).toMatchObject({ level: 40, modelPath: missing })
    expect(warn?.msg).toContain('npm run model:fetch')
    const status = await (await apiFetch(`${info.dashboardUrl}/api/wildlife/status`)).json() as { detection: boolean, reason: string }
    expect(status.detection).toBe(false)
    expect(status.reason).toContain('no-such-model.onnx not found')
    expect(app.ingest!.wildlife.status.detection).toBe(false)

    const device = await mqtt.connectAsync(info.mqttUrl, { clientId: 'gauge-uchikawa-01' })
    cleanup.push(async () => { await device.endAsync() })
    const time = Math.floor(Date.now() / 60_000) * 60_000 - 120_000
    await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', Buffer.from(encodeUplink({ mode: 'observe', levelM: 1.23, batteryV: 3.6, temperatureC: 14, spreadMm: 3, validPings: 20, totalPings: 20, time })), { qos: 1 })
    await publishBurst(info.mqttUrl, 'cam-yutagawa-01', 'no-model', time, ['monkey_09.jpg'])

    const station = await waitFor(async () => {
      const s = await (await apiFetch(`${info.dashboardUrl}/api/stations/uchikawa-oizumi`)).json() as { latest: null | { level: number } }
      return s.latest === null ? undefined : s
    }, 'gauge reading')
    expect(station.latest?.level).toBe(1.23)
    const img = await waitFor(async () => {
      const r = await apiFetch(`${info.dashboardUrl}/api/cameras/cam-yutagawa-01/latest.jpg`)
      return r.status === 200 ? Buffer.from(await r.arrayBuffer()) : undefined
    }, 'camera image served')
    expect((await sharp(img).metadata()).width).toBe(480)
    expect(app.ingest!.stats.images).toBe(1)
    expect(app.ingest!.stats.rejected).toEqual({})
    // nothing analysed, nothing refused
    expect(await (await apiFetch(`${info.dashboardUrl}/api/wildlife/detections?cameraId=cam-yutagawa-01`)).json()).toEqual([])
  })
})
