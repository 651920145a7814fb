import type { Logger } from '../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { createRng, seedFrom } from '../core/random.js'
import { deviceTopic } from '../core/topics.js'
import type { Station } from '../core/types.js'
import { encodeUplink, type GaugeMode } from '../ingest/codecs/gauge-v1.js'
import { measure } from '../edge/gauge/measure.js'
import type { LevelScenario } from './scenarios.js'

export interface SimulatedGauge {
  readonly deviceId: string
  connect(): Promise<void>
  /** measure now and publish one uplink; resolves when the broker has acked (QoS 1) */
  report(time?: number): Promise<Uint8Array>
  close(): Promise<void>
}

export interface SimulatedGaugeOptions {
  station: Station
  scenario: LevelScenario
  mqttUrl: string
  logger: Logger
  mode?: GaugeMode
}

/**
 * A gauge as the broker sees it: its own MQTT connection, a last will that
 * marks it offline, and frames built by the same edge code and codec as a
 * real device. Only the radio and the water are simulated.
 */
export function createSimulatedGauge (o: SimulatedGaugeOptions): SimulatedGauge {
  const deviceId = o.station.deviceId
  const rng = createRng(seedFrom(deviceId))
  const statusTopic = deviceTopic('gauge', deviceId, 'status')
  let client: MqttClient | undefined
  let batteryV = 3.6

  return {
    deviceId,
    async connect () {
      client = await connectMqtt({
        url: o.mqttUrl,
        clientId: deviceId,
        logger: o.logger.child({ device: deviceId }),
        extra: { will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true } }
      })
      await client.publishAsync(statusTopic, JSON.stringify({ online: true, batteryV }), { qos: 1, retain: true })
    },
    async report (time = Date.now()) {
      if (client === undefined) throw new Error('simulated gauge not connected')
      batteryV = Math.max(3.0, batteryV - 0.00001)
      const frame = encodeUplink(measure({
        mount: { sensorHeight: o.station.sensorHeight },
        trueLevelM: o.scenario(time),
        time,
        mode: o.mode ?? 'observe',
        batteryV,
        temperatureC: 12 + 8 * Math.sin(time / 86_400_000 * 2 * Math.PI),
        rng
      }))
      await client.publishAsync(deviceTopic('gauge', deviceId, 'up'), Buffer.from(frame), { qos: 1 })
      return frame
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
