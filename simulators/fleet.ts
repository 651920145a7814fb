import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from '../core/config/schema.js'
import type { OnDeviceDetector } from '../edge/camera/on-device.js'
import type { Logger } from '../core/logger.js'
import { createSimulatedGauge, type SimulatedGauge } from './gauge-device.js'
import { cameraOptionsFrom, createSimulatedCamera, type SimulatedCamera } from './camera-device.js'
import { demoScenario } from './scenarios.js'

export interface Fleet {
  start(): Promise<{ gauges: number, cameras: number }>
  close(): Promise<void>
}

/** per-device MQTT credentials (the all-in-one issues them from its broker); undefined = anonymous */
export type FleetCredentials = (kind: 'gauge' | 'camera', deviceId: string) => { username: string, password: string } | undefined

/**
 * The demo fleet: every configured station and camera as its own MQTT device.
 * Gauges report on a timer, staggered so a fleet does not hit the broker in
 * one burst, as real LPWA devices (with random join times) would not either.
 * Cameras fire on motion: each has its own seeded scene of animal visits
 * (`sim.camera`, edge/camera/trigger.ts) and a timer set to its next trigger.
 */
export function createFleet ({ config, logger, mqttUrl, credentials }: { config: Config, logger: Logger, mqttUrl: string, credentials?: FleetCredentials }): Fleet {
  const log = logger.child({ component: 'sim' })
  const startMs = Date.now()
  const gauges: SimulatedGauge[] = config.stations.map((station, i) =>
    createSimulatedGauge({ station, scenario: demoScenario(station, i, startMs), mqttUrl, logger: log, ...credentials?.('gauge', station.deviceId) }))
  // cameras keep what they cannot send in a disk spool (edge/camera/spool.ts); on-device cameras load the model at start
  // scenes start staggered too, so the opening visits of the cameras do not coincide
  let cameraCount = 0
  const makeCamera = (camera: Config['cameras'][number], onDevice?: OnDeviceDetector): SimulatedCamera => createSimulatedCamera({
    camera,
    mqttUrl,
    logger: log,
    ...cameraOptionsFrom(config),
    sceneStartMs: startMs + 500 + 700 * cameraCount++,
    spoolDir: join(config.dataDir, 'spool', camera.id),
    onDevice,
    ...credentials?.('camera', camera.id)
  })
  const cameras: SimulatedCamera[] = config.cameras.filter(c => c.onDeviceInference !== true).map(c => makeCamera(c))
  const timers: NodeJS.Timeout[] = []
  /** per camera, the timer of its next motion trigger */
  const cameraTimers = new Map<SimulatedCamera, NodeJS.Timeout>()
  let closing: Promise<void> | undefined

  const safely = (what: string, fn: () => Promise<unknown>) => (): void => {
    fn().catch((err: unknown) => { log.warn({ err: (err as Error).message }, `${what} failed`) })
  }

  return {
    async start () {
      for (const camera of config.cameras.filter(c => c.onDeviceInference === true)) {
        if (!existsSync(resolve(config.vision.modelPath))) {
          log.warn({ camera: camera.id, modelPath: config.vision.modelPath }, 'on-device camera has no model file: it sends images instead')
          cameras.push(makeCamera(camera))
          continue
        }
        // loaded only when a camera needs it: the model code pulls in onnxruntime
        const { createOnDeviceDetector, onDeviceEngineOptions } = await import('../edge/camera/on-device.js')
        cameras.push(makeCamera(camera, await createOnDeviceDetector({ engine: onDeviceEngineOptions(config), staticMinBursts: config.vision.staticMinBursts, logger: log })))
      }
      await Promise.all([...gauges, ...cameras].map(async d => { await d.connect() }))
      const gaugeEvery = config.sim.gaugeIntervalMs
      gauges.forEach((g, i) => {
        const first = setTimeout(() => {
          safely(`report ${g.deviceId}`, async () => await g.report())()
          timers.push(setInterval(safely(`report ${g.deviceId}`, async () => await g.report()), gaugeEvery))
        }, Math.round((i / Math.max(1, gauges.length)) * Math.min(gaugeEvery, 1000)))
        timers.push(first)
      })
      for (const c of cameras) {
        const arm = (): void => {
          if (closing !== undefined || !Number.isFinite(c.nextTriggerAt)) return
          // setTimeout holds at most 2^31-1 ms; a later trigger is simply re-armed then
          cameraTimers.set(c, setTimeout(safely(`burst ${c.deviceId}`, async () => {
            try {
              await c.advance(Date.now())
            } finally {
              arm()
            }
          }), Math.min(2 ** 31 - 1, Math.max(0, c.nextTriggerAt - Date.now()))))
        }
        arm()
      }
      const cam = config.sim.camera
      log.info({ gauges: gauges.length, cameras: cameras.length, gaugeIntervalMs: gaugeEvery, meanVisitIntervalMs: cam.meanVisitIntervalMs, holdOffMs: cam.holdOffMs, burstFrames: cam.burstFrames }, 'demo fleet running')
      return { gauges: gauges.length, cameras: cameras.length }
    },
    async close () {
      closing ??= (async () => {
        for (const t of timers) clearTimeout(t)
        for (const t of cameraTimers.values()) clearTimeout(t)
        await Promise.all([...gauges, ...cameras].map(async d => { await d.close() }))
        log.info('demo fleet stopped')
      })()
      return await closing
    }
  }
}
