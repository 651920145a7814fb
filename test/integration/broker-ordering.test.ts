import { afterEach, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'
import { waitFor } from '../helpers/app.js'

/**
 * Regression: with an on-disk persistence, QoS 1 packets could overtake each
 * other inside the broker and Aedes then held the overtaken one back from a
 * persistent-session subscriber until it reconnected (broker/ordering.ts).
 * Every packet must arrive live, without a reconnect.
 */
describe('broker delivers every QoS 1 packet live to a persistent session', () => {
  let b: TestBroker | undefined
  const clients: MqttClient[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true)
    await b?.close()
  })

  for (const [backend, mixQos0] of [['level', false], ['memory', false], ['level', true]] as const) {
    it(`${backend} persistence: 5 devices × 120 frames, every 7th retained${mixQos0 ? ', every 3rd at QoS 0' : ''}, ingest acks asynchronously`, async () => {
      b = await startTestBroker({ broker: { allowAnonymous: true, persistence: { backend } } })
      const ingest = await mqtt.connectAsync(b.url, { clientId: 'ingest-order', clean: false })
      clients.push(ingest)
      const received = new Set<string>()
      let duplicates = 0
      // like ingest: the PUBACK goes out only after an asynchronous store write
      ingest.handleMessage = (packet, ack) => {
        const key = packet.payload.toString()
        if (received.has(key)) duplicates++
        received.add(key)
        setTimeout(ack, Math.random() * 2)
      }
      await ingest.subscribeAsync('mmr/v1/gauge/+/up', { qos: 1 })

      const devices = await Promise.all([0, 1, 2, 3, 4].map(async k => await mqtt.connectAsync(b!.url, { clientId: `order-dev-${k}` })))
      clients.push(...devices)
      const total = 600
      await Promise.all(devices.map(async (dev, k) => {
        for (let i = k; i < total; i += devices.length) {
          // a QoS 0 frame skips the persistence: it must still not overtake a QoS 1 frame being persisted
          const qos = mixQos0 && i % 3 === 1 ? 0 : 1
          await dev.publishAsync(`mmr/v1/gauge/order-dev-${k}/up`, String(i), { qos, retain: i % 7 === 0 })
        }
      }))
      await waitFor(() => received.size === total ? true : undefined, `all ${total} frames live (have ${received.size})`, 20_000)
      expect(received.size).toBe(total)
      expect(duplicates).toBe(0)
    })
  }
})
