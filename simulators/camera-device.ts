import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { endMqtt, type MqttClient } from '../core/mqtt.js'
import { createRng, seedFrom, type Rng } from '../core/random.js'
import { deviceTopic } from '../core/topics.js'
import type { Camera } from '../core/types.js'
import { encodeCameraEnvelope, type CameraMeta } from '../codecs/camera-envelope.js'
import { encodeCameraDetection } from '../codecs/camera-detection.js'
import { jpegOptionsFrom, syntheticFieldFrame, toUploadJpeg, DEFAULT_JPEG, type JpegOptions } from '../edge/camera/frame.js'
import { openCameraSpool, type CameraSpool } from '../edge/camera/spool.js'
import type { OnDeviceDetector } from '../edge/camera/on-device.js'
import { connectDevice, publishAcked } from './device-mqtt.js'
import { animalAt, createMotionTrigger, poissonVisits, type SceneOptions, type TriggerEvent } from '../edge/camera/trigger.js'

/** A burst the motion trigger fired (`advance`). */
export interface SceneBurst {
  burstId: string
  trigger: TriggerEvent
  /** where each frame came from: a file of the image folder, or `generated` */
  sources: string[]
}

export interface SimulatedCamera {
  readonly deviceId: string
  connect(): Promise<void>
  /** a manual trigger: capture `frames` images (default `burstFrames`) and publish them as one burst */
  burst(frames?: number, time?: number): Promise<string>
  /**
   * Runs the scene up to `now`: every motion trigger due since the last call
   * fires its burst (capture times = trigger times, however late the call).
   * Calls are serialised.
   */
  advance(now?: number): Promise<SceneBurst[]>
  /** when the motion trigger fires next, ms */
  readonly nextTriggerAt: number
  /** publish these images (files or JPEG bytes) as one burst, resized and re-encoded like the camera does */
  burstOf(images: Array<string | Buffer>, time?: number): Promise<string>
  /** the MQTT link is up */
  readonly connected: boolean
  /** the on-disk store-and-forward spool (undefined without `spoolDir`) */
  readonly spool: CameraSpool | undefined
  /** sends what the spool holds (also done on every reconnect and before each burst) */
  flushSpool(): Promise<number>
  /** messages and payload bytes that left the camera (spooled ones when they are sent) */
  readonly sent: { messages: number, bytes: number }
  close(): Promise<void>
}

export interface SimulatedCameraOptions {
  camera: Camera
  mqttUrl: string
  logger: Logger
  jpeg?: JpegOptions
  /** frames per motion trigger (default 3) */
  burstFrames?: number
  /** between the frames of a burst, ms (default 500) */
  frameIntervalMs?: number
  /** the scene in front of the camera (edge/camera/trigger.ts); its seed is mixed with the camera id */
  scene?: Partial<SceneOptions>
  /** the scene and its trigger start here (default: now) */
  sceneStartMs?: number
  /** position the camera reports in its metadata; default the registered one, null = no GPS fix */
  location?: { lat: number, lon: number } | null
  username?: string
  password?: string
  imageDir?: string | undefined
  /** store-and-forward: messages that cannot be published now go to this directory (edge/camera/spool.ts) */
  spoolDir?: string | undefined
  /** spool bound, bytes (default 64 MiB) */
  spoolMaxBytes?: number
  /** spool bound, messages (default 2000) */
  spoolMaxMessages?: number
  /** a publish not acked within this goes to the spool (default 5000 ms) */
  publishTimeoutMs?: number
  /** on-device inference: publish detections + a thumbnail instead of images */
  onDevice?: OnDeviceDetector | undefined
}

/** scene defaults = the `sim.camera` defaults (test/unit/camera-trigger.test.ts holds them equal) */
export const DEFAULT_SCENE: Omit<SceneOptions, 'seed'> = { meanVisitIntervalMs: 120_000, visitMs: 20_000, holdOffMs: 15_000, visitAtStart: true }

/** The capture settings of `sim.camera` (and `sim.cameraImageDir`) as camera options. */
export function cameraOptionsFrom (config: Config): Pick<SimulatedCameraOptions, 'jpeg' | 'burstFrames' | 'frameIntervalMs' | 'scene' | 'imageDir'> {
  const c = config.sim.camera
  return {
    jpeg: jpegOptionsFrom(config),
    burstFrames: c.burstFrames,
    frameIntervalMs: c.frameIntervalMs,
    scene: { meanVisitIntervalMs: c.meanVisitIntervalMs, visitMs: c.visitMs, holdOffMs: c.holdOffMs, visitAtStart: c.visitAtStart, seed: c.seed },
    imageDir: config.sim.cameraImageDir
  }
}

export function createSimulatedCamera (o: SimulatedCameraOptions): SimulatedCamera {
  const deviceId = o.camera.id
  const rng = createRng(seedFrom(deviceId))
  const statusTopic = deviceTopic('camera', deviceId, 'status')
  const log = o.logger.child({ device: deviceId })
  const burstFrames = o.burstFrames ?? 3
  const frameIntervalMs = o.frameIntervalMs ?? 500
  const location = o.location === undefined ? { lat: o.camera.lat, lon: o.camera.lon } : o.location
  let client: MqttClient | undefined
  // real frames from a folder (tests: ../shared/images), in name order
  const folder = o.imageDir === undefined || o.imageDir === '' ? [] : readdirSync(o.imageDir).filter(f => /\.jpe?g$/i.test(f)).sort().map(f => join(o.imageDir!, f))
  let nextFile = 0
  // the seed is mixed with the camera id: one fleet seed, a different scene per camera
  const scene: SceneOptions = { ...DEFAULT_SCENE, ...o.scene, seed: seedFrom(`${o.scene?.seed ?? 0}/${deviceId}`) }
  const sceneStart = o.sceneStartMs ?? Date.now()
  const trigger = createMotionTrigger(poissonVisits(scene, sceneStart), scene.holdOffMs, sceneStart)
  let advancing: Promise<unknown> = Promise.resolve()
  const spool = o.spoolDir === undefined || o.spoolDir === ''
    ? undefined
    : openCameraSpool({ dir: o.spoolDir, maxBytes: o.spoolMaxBytes ?? 64 * 1024 * 1024, maxMessages: o.spoolMaxMessages ?? 2000, logger: log })
  const sent = { messages: 0, bytes: 0 }

  const { flushSpool, send } = cameraLink({ client: () => client, spool, log, publishTimeoutMs: o.publishTimeoutMs, sent })

  /** each source gets the capture time of its frame */
  async function publishBurst (frames: Array<(capturedAt: number) => Promise<Buffer>>, time: number): Promise<string> {
    if (client === undefined) throw new Error('simulated camera not connected')
    await flushSpool()
    const burstId = randomUUID()
    const shots: Array<{ jpeg: Buffer, capturedAt: number, frameIndex: number }> = []
    for (let i = 0; i < frames.length; i++) {
      const capturedAt = time + i * frameIntervalMs
      shots.push({ jpeg: await toUploadJpeg(await frames[i]!(capturedAt), o.jpeg ?? DEFAULT_JPEG), capturedAt, frameIndex: i })
    }
    if (o.onDevice !== undefined) {
      const r = await o.onDevice.analyseBurst(deviceId, burstId, shots, { batteryV: 7.2, location })
      await send(deviceTopic('camera', deviceId, 'detection'), encodeCameraDetection(r.meta, r.thumbnail), { capturedAt: time, burstId })
      return burstId
    }
    for (const s of shots) {
      const meta: CameraMeta = { capturedAt: new Date(s.capturedAt).toISOString(), burstId, frameIndex: s.frameIndex, frameCount: shots.length, batteryV: 7.2 }
      if (location !== null) { meta.lat = location.lat; meta.lon = location.lon }
      await send(deviceTopic('camera', deviceId, 'image'), encodeCameraEnvelope(meta, s.jpeg), { capturedAt: s.capturedAt, burstId })
    }
    return burstId
  }

  return {
    deviceId,
    spool,
    sent,
    get connected () { return client?.connected === true },
    flushSpool,
    async connect () {
      client = await connectDevice({ url: o.mqttUrl, deviceId, username: o.username, password: o.password, statusTopic, logger: log })
      // back online: what waited on disk goes out first, with its original capture times
      client.on('connect', () => { flushSpool().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'spool flush failed') }) })
      await client.publishAsync(statusTopic, JSON.stringify({ online: true, batteryV: 7.2 }), { qos: 1, retain: true })
      await flushSpool()
    },
    get nextTriggerAt () { return trigger.nextAt },
    async burst (frames = burstFrames, time = Date.now()) {
      const sources = Array.from({ length: frames }, () => {
        if (folder.length === 0) return async () => await syntheticFieldFrame(rng)
        const file = folder[nextFile++ % folder.length]!
        return async () => await readFile(file)
      })
      return await publishBurst(sources, time)
    },
    async advance (now = Date.now()) {
      const run = advancing.then(async () => {
        const fired: SceneBurst[] = []
        for (const t of trigger.due(now)) {
          const { sources, frames } = sceneFrames(t, folder, burstFrames, rng)
          fired.push({ burstId: await publishBurst(frames, t.at), trigger: t, sources })
        }
        return fired
      })
      advancing = run.catch(() => undefined)
      return await run
    },
    async burstOf (images, time = Date.now()) {
      return await publishBurst(images.map(img => async () => typeof img === 'string' ? await readFile(img) : img), time)
    },
    async close () {
      if (client?.connected === true) {
        await client.publishAsync(statusTopic, JSON.stringify({ online: false }), { qos: 1, retain: true }).catch(() => undefined)
      }
      await endMqtt(client)
      client = undefined
      await o.onDevice?.close()
    }
  }
}

/** the frames a trigger captures: its visit's run of folder files, or generated frames with the animal where the visit puts it */
function sceneFrames (t: TriggerEvent, folder: string[], burstFrames: number, rng: Rng): { sources: string[], frames: Array<(capturedAt: number) => Promise<Buffer>> } {
  if (folder.length > 0) {
    // a visit shows consecutive files from a place of its own; each re-trigger goes on from there
    const first = Math.floor(t.visit.pick * folder.length) + t.n * burstFrames
    const files = Array.from({ length: burstFrames }, (_, i) => folder[(first + i) % folder.length]!)
    return { sources: files, frames: files.map(f => async () => await readFile(f)) }
  }
  return {
    sources: Array.from({ length: burstFrames }, () => 'generated'),
    frames: Array.from({ length: burstFrames }, () => async (capturedAt: number) => await syntheticFieldFrame(rng, 640, 480, animalAt(t.visit, capturedAt)))
  }
}

interface LinkOptions {
  client: () => MqttClient | undefined
  spool: CameraSpool | undefined
  log: Logger
  publishTimeoutMs: number | undefined
  sent: { messages: number, bytes: number }
}

/** the camera's way out: acked publishes, and the disk spool behind them when the link is down */
function cameraLink ({ client: current, spool, log, publishTimeoutMs, sent }: LinkOptions): { flushSpool: () => Promise<number>, send: (topic: string, payload: Buffer, meta: { capturedAt: number, burstId: string }) => Promise<void> } {
  /** one QoS 1 publish that must be acked in time; throws when the link is down */
  async function transmit (topic: string, payload: Buffer): Promise<void> {
    const c = current()
    // not connected: MQTT.js would only queue it in memory, so it goes to the disk spool instead
    if (c?.connected !== true) throw new Error('link down')
    await publishAcked(c, topic, payload, { timeoutMs: publishTimeoutMs })
    sent.messages++
    sent.bytes += payload.length
  }

  async function flushSpool (): Promise<number> {
    if (spool === undefined || spool.size === 0 || current()?.connected !== true) return 0
    return await spool.flush(transmit)
  }

  /** publish now, or spool it (behind anything already spooled, so order holds) */
  async function send (topic: string, payload: Buffer, meta: { capturedAt: number, burstId: string }): Promise<void> {
    if (spool === undefined) {
      // without a spool: MQTT.js keeps unsent QoS 1 messages in memory while offline
      const client = current()
      if (client === undefined) throw new Error('simulated camera not connected')
      await client.publishAsync(topic, payload, { qos: 1 })
      sent.messages++
      sent.bytes += payload.length
      return
    }
    if (spool.size === 0) {
      try {
        await transmit(topic, payload)
        return
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'camera message kept in the spool')
      }
    }
    await spool.put(topic, payload, meta)
    await flushSpool()
  }
  return { flushSpool, send }
}
