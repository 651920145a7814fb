import type { Logger } from '../core/logger.js'
import { connectMqtt, type MqttClient } from '../core/mqtt.js'

/**
 * A simulated device's MQTT session, as a real one opens it: its device id as client id and a
 * last will that marks it offline (retained, QoS 1) when the connection drops without a goodbye.
 */
export async function connectDevice ({ url, deviceId, username, password, statusTopic, logger }: {
  url: string
  deviceId: string
  username: string | undefined
  password: string | undefined
  statusTopic: string
  logger: Logger
}): Promise<MqttClient> {
  return await connectMqtt({
    url,
    clientId: deviceId,
    username,
    password,
    logger,
    extra: { will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true } }
  })
}

/** a QoS 1 publish that gives up when not acked within `timeoutMs` (the device then keeps the message) */
export async function publishAcked (c: MqttClient, topic: string, payload: Buffer | string, { retain = false, timeoutMs = 5000 }: { retain?: boolean, timeoutMs?: number | undefined } = {}): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      c.publishAsync(topic, payload, { qos: 1, retain }),
      new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('publish not acked')) }, timeoutMs) })
    ])
  } finally {
    clearTimeout(timer)
  }
}
