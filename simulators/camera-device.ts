import { randomUUID } from 'node:crypto'
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
  close(): Promise<void>
}

export function createSimulatedCamera (o: { camera: Camera, mqttUrl: string, logger: Logger, jpeg?: JpegOptions }): SimulatedCamera {
  const deviceId = o.camera.id
  const rng = createRng(seedFrom(deviceId))
  const statusTopic = deviceTopic('camera', deviceId, 'status')
  let client: MqttClient | undefined

  return {
    deviceId,
    async connect () {
      client = await connectMqtt({
        url: o.mqttUrl,
        clientId: deviceId,
        logger: o.logger.child({ device: deviceId }),
        extra: { will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true } }
      })
      await client.publishAsync(statusTopic, JSON.stringify({ online: true, batteryV: 7.2 }), { qos: 1, retain: true })
    },
    async burst (frames = 3, time = Date.now()) {
      if (client === undefined) throw new Error('simulated camera not connected')
      const burstId = randomUUID()
      for (let i = 0; i < frames; i++) {
        const jpeg = await toUploadJpeg(await syntheticFieldFrame(rng), o.jpeg ?? DEFAULT_JPEG)
        const meta = { capturedAt: new Date(time + i * 500).toISOString(), burstId, frameIndex: i, frameCount: frames, batteryV: 7.2 }
        await client.publishAsync(deviceTopic('camera', deviceId, 'image'), encodeCameraEnvelope(meta, jpeg), { qos: 1 })
      }
      return burstId
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
