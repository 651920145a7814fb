import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import type { InfluxStore } from '../../store/influx.js'
import { createSimulatedCamera, type SimulatedCamera } from '../../simulators/camera-device.js'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { exportVictoriaMetrics, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'
import { apiFetch } from '../helpers/auth.js'

const img = (name: string): string => join(SHARED, 'images', name)

/**
 * Detections as time-series points: with store.backend = influxdb every
 * analysed frame becomes a `wildlife_detection` point (tags camera/label,
 * fields score/monkey/best_crop …) at its capture time, through the readings'
 * durable outbox. The database is down when the burst arrives; nothing is lost.
 */
describe('wildlife detections in the time-series database', () => {
  let vm: ManagedServer
  let t: TestApp
  let cam: SimulatedCamera

  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    t = await startTestApp({
      store: { backend: 'influxdb', influx: { url: vm.url, bucket: 'wildlife', flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 400, timeoutMs: 2000 } },
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 2 }
    })
    cam = createSimulatedCamera({ camera: t.config.cameras.find(c => c.id === 'cam-yutagawa-01')!, mqttUrl: t.info.mqttUrl, logger: silentLogger(), jpeg: { maxSide: 1280, quality: 95 } })
    await cam.connect()
  })

  afterAll(async () => {
    await cam?.close()
    await t?.close()
    await vm?.close()
  })

  it('queues detection points while the database is down and delivers each once at its capture time', async () => {
    const store = t.app.store as InfluxStore
    await vm.stop()
    const base = Math.floor(Date.now() / 1000) * 1000 - 120_000
    await cam.burstOf([img('monkey_09.jpg'), img('none_01.jpg'), img('monkey_10.jpg')], base)
    const dets = await waitFor(async () => {
      const r = await apiFetch(`${t.info.dashboardUrl}/api/wildlife/detections?cameraId=cam-yutagawa-01&from=${new Date(base - 1000).toISOString()}`)
      const list = await r.json() as Array<{ frameIndex: number, score: number, positive: boolean, label: string, time: string }>
      return list.length === 3 ? list : undefined
    }, 'three frames analysed', 60_000)
    // the outage is real: the points wait in the outbox
    await waitFor(() => (store.outboxStats().drain?.failedWrites ?? 0) > 0 ? true : undefined, 'a failed write')
    expect(store.outboxStats().pending).toBe(3)

    await vm.start()
    await store.flushed(30_000)
    expect(store.outboxStats()).toMatchObject({ pending: 0, rejected: 0 })
    const score = await exportVictoriaMetrics(vm.url, 'wildlife_detection_score{camera="cam-yutagawa-01"}')
    const monkey = await exportVictoriaMetrics(vm.url, 'wildlife_detection_monkey{camera="cam-yutagawa-01"}')
    const flat = (series: typeof score) => series.flatMap(s => s.timestamps.map((ts, i) => ({ ts, v: s.values[i]!, label: s.metric.label })))
      .sort((a, b) => a.ts - b.ts)
    const want = [...dets].sort((a, b) => Date.parse(a.time) - Date.parse(b.time))
    expect(flat(score).map(p => p.ts)).toEqual([base, base + 500, base + 1000])
    expect(flat(score).map(p => p.v)).toEqual(want.map(d => expect.closeTo(d.score, 6)))
    expect(flat(score).map(p => p.label)).toEqual(want.map(d => d.label === '' ? 'none' : d.label))
    expect(flat(monkey).map(p => p.v)).toEqual([1, 0, 1])
    expect(want.map(d => d.positive)).toEqual([true, false, true])
  })
})
