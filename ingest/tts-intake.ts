import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { SUBSCRIPTIONS } from '../core/topics.js'
import type { IngestMessage } from './router.js'

/**
 * The Things Stack's MQTT integration is a broker TTS runs: ingest connects to
 * it as a client (user `{application}@{tenant}`, an API key as password) and
 * subscribes to `v3/+/devices/+/up`, QoS 1. Each message goes to the same
 * pipeline as everything else; MQTT.js's `handleMessage` sends the PUBACK only
 * after it settled, and withholds it (the connection drops, TTS sends it again)
 * when storage wants a retry. TTS keeps no persistent sessions, so uplinks sent
 * while we are disconnected are the network server's to buffer, not ours.
 */
export function createTtsIntake ({ config, logger, handle, clock = Date.now }: {
  config: Config
  logger: Logger
  handle: (msg: IngestMessage) => Promise<'settled' | 'retry'>
  clock?: () => number
}): { start(): Promise<void>, close(): Promise<void> } {
  const cfg = config.lorawan.tts
  const log = logger.child({ component: 'tts-intake' })
  let client: MqttClient | undefined
  const pending = new Set<Promise<unknown>>()
  return {
    async start () {
      if (cfg.url === '') return
      client = await connectMqtt({ url: cfg.url, clientId: `mimamori-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, username: cfg.username, password: cfg.password, logger: log })
      client.handleMessage = (packet, done) => {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
        const p = handle({ topic: packet.topic, payload, receivedAt: clock() }).then(outcome => {
          if (outcome === 'retry') {
            log.warn({ topic: packet.topic }, 'storage wants a retry: dropping the TTS connection without PUBACK')
            client?.stream.destroy()
            return
          }
          done()
        }).finally(() => { pending.delete(p) })
        pending.add(p)
      }
      await client.subscribeAsync(SUBSCRIPTIONS.ttsUplinks, { qos: 1 })
      log.info({ url: cfg.url, username: cfg.username }, 'subscribed to The Things Stack uplinks')
    },
    async close () {
      // stop taking, then let what was taken settle (and be acknowledged) before the pipeline closes
      await client?.unsubscribeAsync(SUBSCRIPTIONS.ttsUplinks).catch(() => undefined)
      await Promise.allSettled([...pending])
      await endMqtt(client)
      client = undefined
    }
  }
}
