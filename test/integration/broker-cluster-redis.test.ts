import { Writable } from 'node:stream'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { loadConfig } from '../../core/config/load.js'
import { createBroker, type Broker } from '../../broker/index.js'
import { waitFor } from '../helpers/app.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'

/**
 * A Redis restart under running cluster brokers: mqemitter-redis re-emits its
 * connection errors on `mq.state`; unhandled, the first one stopped the broker.
 */
describe('cluster brokers survive a Redis restart', () => {
  let redis: TestRedis
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-cluster-redis-'))
  const brokers: Broker[] = []
  const clients: MqttClient[] = []
  const lines: string[] = []
  const logger = pino({ level: 'warn' }, new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb() } }))

  afterAll(async () => {
    for (const c of clients) c.end(true)
    for (const b of brokers) await b.close()
    await redis?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** publishes on A until B's subscriber has `payload` (the subscription crosses Redis asynchronously) */
  async function across (pub: MqttClient, got: string[], payload: string): Promise<void> {
    const timer = setInterval(() => { pub.publish('cluster/restart', payload, { qos: 1 }) }, 200)
    try {
      await waitFor(() => got.includes(payload) ? true : undefined, `"${payload}" from broker A at broker B`, 30_000)
    } finally {
      clearInterval(timer)
    }
  }

  it('keeps serving, logs the outage as a warning and fans out again once Redis is back', async () => {
    redis = await startRedis()
    for (const id of ['broker-r1', 'broker-r2']) {
      const config = loadConfig({ overrides: { dataDir, broker: { id, port: 0, wsPort: 0, allowAnonymous: true, persistence: { backend: 'redis' }, cluster: { redisUrl: redis.url } } } })
      const b = createBroker({ config, logger })
      brokers.push(b)
      await b.start()
    }
    const got: string[] = []
    const sub = await mqtt.connectAsync(brokers[1]!.url, { clientId: 'r-sub', reconnectPeriod: 0 })
    sub.on('message', (_t, p) => { got.push(p.toString()) })
    const pub = await mqtt.connectAsync(brokers[0]!.url, { clientId: 'r-pub', reconnectPeriod: 0 })
    clients.push(sub, pub)
    await sub.subscribeAsync('cluster/restart', { qos: 0 })
    await across(pub, got, 'before')

    await redis.down()
    // ioredis retries and fails while Redis is down; each failure reaches mq.state
    await waitFor(() => lines.some(l => l.includes('redis fan-out connection error')) ? true : undefined, 'the outage logged as a warning')
    await redis.up()
    // the brokers are still serving and their MQTT clients still connected
    expect(sub.connected && pub.connected).toBe(true)
    await across(pub, got, 'after')
    const fresh = await mqtt.connectAsync(brokers[0]!.url, { clientId: 'r-fresh', reconnectPeriod: 0 })
    clients.push(fresh)
    expect(fresh.connected).toBe(true)
  })
})
