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
import { syntheticFieldFrame, toUploadJpeg, DEFAULT_JPEG, type JpegOptions } from '../edge/camera/frame.js'

export interface SimulatedCamera {
  readonly deviceId: string
  connect(): Promise<void>
  /** a motion trigger: capture `frames` images and publish them as one burst */
  burst(frames?: number, time?: number): Promise<string>
  /** publish these images (files or JPEG bytes) as one burst, resized and re-encoded like the camera does */
  burstOf(images: Array<string | Buffer>, time?: number): Promise<string>
  close(): Promise<void>
}

export function createSimulatedCamera (o: { camera: Camera, mqttUrl: string, logger: Logger, jpeg?: JpegOptions, username?: string, password?: string, imageDir?: string | undefined }): SimulatedCamera {
  const deviceId = o.camera.id
  const rng = createRng(seedFrom(deviceId))
  const statusTopic = deviceTopic('camera', deviceId, 'status')
  let client: MqttClient | undefined
  // real frames from a folder (tests: ../shared/images), taken in name order and cycled
  const folder = o.imageDir === undefined || o.imageDir === '' ? [] : readdirSync(o.imageDir).filter(f => /\.jpe?g$/i.test(f)).sort().map(f => join(o.imageDir!, f))
  let nextFile = 0

  async function publishBurst (frames: Array<() => Promise<Buffer>>, time: number): Promise<string> {
    if (client === undefined) throw new Error('simulated camera not connected')
    const burstId = randomUUID()
    for (let i = 0; i < frames.length; i++) {
      const jpeg = await toUploadJpeg(await frames[i]!(), o.jpeg ?? DEFAULT_JPEG)
      const meta = { capturedAt: new Date(time + i * 500).toISOString(), burstId, frameIndex: i, frameCount: frames.length, batteryV: 7.2 }
      // QoS 1: MQTT.js keeps unsent messages while offline and sends them on reconnect (store-and-forward)
      await client.publishAsync(deviceTopic('camera', deviceId, 'image'), encodeCameraEnvelope(meta, jpeg), { qos: 1 })
    }
    return burstId
  }

  return {
    deviceId,
    async connect () {
      client = await connectMqtt({
        url: o.mqttUrl,
        clientId: deviceId,
        username: o.username,
        password: o.password,
        logger: o.logger.child({ device: deviceId }),
        extra: { will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true } }
      })
      await client.publishAsync(statusTopic, JSON.stringify({ online: true, batteryV: 7.2 }), { qos: 1, retain: true })
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
    }
  }
}
