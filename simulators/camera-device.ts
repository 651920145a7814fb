import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { createRng, seedFrom } from '../core/random.js'
import { deviceTopic } from '../core/topics.js'
import type { Camera } from '../core/types.js'
import { encodeCameraEnvelope } from '../ingest/codecs/camera-envelope.js'
import { encodeCameraDetection } from '../ingest/codecs/camera-detection.js'
import { syntheticFieldFrame, toUploadJpeg, DEFAULT_JPEG, type JpegOptions } from '../edge/camera/frame.js'
import { openCameraSpool, type CameraSpool } from '../edge/camera/spool.js'
import type { OnDeviceDetector } from '../edge/camera/on-device.js'

export interface SimulatedCamera {
  readonly deviceId: string
  connect(): Promise<void>
  /** a motion trigger: capture `frames` images and publish them as one burst */
  burst(frames?: number, time?: number): Promise<string>
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

export function createSimulatedCamera (o: SimulatedCameraOptions): SimulatedCamera {
  const deviceId = o.camera.id
  const rng = createRng(seedFrom(deviceId))
  const statusTopic = deviceTopic('camera', deviceId, 'status')
  const log = o.logger.child({ device: deviceId })
  let client: MqttClient | undefined
  // real frames from a folder (tests: ../shared/images), taken in name order and cycled
  const folder = o.imageDir === undefined || o.imageDir === '' ? [] : readdirSync(o.imageDir).filter(f => /\.jpe?g$/i.test(f)).sort().map(f => join(o.imageDir!, f))
  let nextFile = 0
  const spool = o.spoolDir === undefined || o.spoolDir === ''
    ? undefined
    : openCameraSpool({ dir: o.spoolDir, maxBytes: o.spoolMaxBytes ?? 64 * 1024 * 1024, maxMessages: o.spoolMaxMessages ?? 2000, logger: log })
  const sent = { messages: 0, bytes: 0 }

  /** one QoS 1 publish that must be acked in time; throws when the link is down */
  async function transmit (topic: string, payload: Buffer): Promise<void> {
    const c = client
    // not connected: MQTT.js would only queue it in memory, so it goes to the disk spool instead
    if (c?.connected !== true) throw new Error('link down')
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        c.publishAsync(topic, payload, { qos: 1 }),
        new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('publish not acked')) }, o.publishTimeoutMs ?? 5000) })
      ])
    } finally {
      clearTimeout(timer)
    }
    sent.messages++
    sent.bytes += payload.length
  }

  async function flushSpool (): Promise<number> {
    if (spool === undefined || spool.size === 0 || client?.connected !== true) return 0
    return await spool.flush(transmit)
  }

  /** publish now, or spool it (behind anything already spooled, so order holds) */
  async function send (topic: string, payload: Buffer, meta: { capturedAt: number, burstId: string }): Promise<void> {
    if (spool === undefined) {
      // without a spool: MQTT.js keeps unsent QoS 1 messages in memory while offline
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

  async function publishBurst (frames: Array<() => Promise<Buffer>>, time: number): Promise<string> {
    if (client === undefined) throw new Error('simulated camera not connected')
    await flushSpool()
    const burstId = randomUUID()
    const shots: Array<{ jpeg: Buffer, capturedAt: number, frameIndex: number }> = []
    for (let i = 0; i < frames.length; i++) shots.push({ jpeg: await toUploadJpeg(await frames[i]!(), o.jpeg ?? DEFAULT_JPEG), capturedAt: time + i * 500, frameIndex: i })
    if (o.onDevice !== undefined) {
      const r = await o.onDevice.analyseBurst(deviceId, burstId, shots, 7.2)
      await send(deviceTopic('camera', deviceId, 'detection'), encodeCameraDetection(r.meta, r.thumbnail), { capturedAt: time, burstId })
      return burstId
    }
    for (const s of shots) {
      const meta = { capturedAt: new Date(s.capturedAt).toISOString(), burstId, frameIndex: s.frameIndex, frameCount: shots.length, batteryV: 7.2 }
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
      client = await connectMqtt({
        url: o.mqttUrl,
        clientId: deviceId,
        username: o.username,
        password: o.password,
        logger: log,
        extra: { will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true } }
      })
      // back online: what waited on disk goes out first, with its original capture times
      client.on('connect', () => { flushSpool().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'spool flush failed') }) })
      await client.publishAsync(statusTopic, JSON.stringify({ online: true, batteryV: 7.2 }), { qos: 1, retain: true })
      await flushSpool()
    },
    async burst (frames = 3, time = Date.now()) {
      const sources = Array.from({ length: frames }, () => {
        if (folder.length === 0) return async () => await syntheticFieldFrame(rng)
        const file = folder[nextFile++ % folder.length]!
        return async () => await readFile(file)
      })
      return await publishBurst(sources, time)
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
