import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import { openPersistence } from '../../broker/persistence.js'
import { waitFor } from '../helpers/app.js'
import { connectAs, startTestBroker, type TestBroker } from '../helpers/broker.js'

type Status = { online: boolean, batteryV?: number }
const statusTopic = (id: string): string => `mmr/v1/gauge/${id}/status`

/** every retained status the broker would give a new subscriber, by topic */
async function retainedStatuses (t: TestBroker): Promise<Map<string, Status>> {
  const out = new Map<string, Status>()
  for await (const p of t.broker.retained(['mmr/v1/gauge/+/status'])) out.set(p.topic, JSON.parse(Buffer.from(p.payload).toString()) as Status)
  return out
}

const sameStates = (got: Map<string, Status>, want: Map<string, Status>): boolean =>
  got.size === want.size && [...want].every(([topic, s]) => got.get(topic)?.online === s.online && got.get(topic)?.batteryV === s.batteryV)

/**
 * Retained messages on the level backend are written in batches (broker/retained-batch.ts):
 * one LevelDB batch per moment, a topic written twice before its batch keeps its newest.
 * Whatever the batching, each device's last state must be what is stored, live and after a restart.
 */
describe('retained statuses written in batches', () => {
  const dirs: string[] = []
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('a synchronous burst is one LevelDB batch holding the newest packet of each topic, read back after reopening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-retained-'))
    dirs.push(dataDir)
    const config = loadConfig({ overrides: { dataDir, log: { level: 'silent' } } })
    expect(config.broker.persistence.backend).toBe('level')
    const open = async (): Promise<Awaited<ReturnType<typeof openPersistence>>> => await openPersistence(config, silentLogger())
    const first = await open()
    const store = first.persistence as unknown as { storeRetained(p: object): Promise<void>, createRetainedStream(pattern: string): AsyncIterable<{ topic: string, payload: Buffer }> }
    const packet = (topic: string, body: string): object => ({ cmd: 'publish', topic, payload: Buffer.from(body), qos: 1, retain: true, dup: false, brokerId: 'b', brokerCounter: 1 })
    const writes: Array<Promise<void>> = []
    for (let round = 0; round < 10; round++) {
      for (let d = 0; d < 10; d++) writes.push(store.storeRetained(packet(`t/${d}`, `${d}:${round}`)))
    }
    // an empty payload deletes: written last for t/9, it wins over its earlier puts
    writes.push(store.storeRetained(packet('t/9', '')))
    await Promise.all(writes)
    expect(first.retainedWrites).toEqual({ batches: 1, written: 10, coalesced: 91 })
    await first.close()

    const again = await open()
    const read = new Map<string, string>()
    for await (const p of (again.persistence as unknown as typeof store).createRetainedStream('t/#')) read.set(p.topic, Buffer.from(p.payload).toString())
    expect(Object.fromEntries(read)).toEqual(Object.fromEntries(Array.from({ length: 9 }, (_, d) => [`t/${d}`, `${d}:9`])))
    await again.close()
  })

  it('after a burst of connects, status updates, dropped and closed connections, every device\'s last state is stored, also after a restart', async () => {
    const t = await startTestBroker({ broker: { heartbeatMs: 200 } })
    dirs.push(t.dataDir)
    const K = 45
    const ids = Array.from({ length: K }, (_, i) => `gauge-rb-${String(i).padStart(2, '0')}`)
    const secrets = await Promise.all(ids.map(async id => (await t.registry.add({ id, role: 'device', kind: 'gauge' })).secret))
    const clients: MqttClient[] = await Promise.all(ids.map(async (id, i) => await connectAs(t.url, {
      clientId: id, username: id, password: secrets[i]!,
      will: { topic: statusTopic(id), payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: true }
    })))
    const want = new Map<string, Status>()
    // every device: two statuses back to back (the second must win), all devices at once
    await Promise.all(clients.map(async (c, i) => {
      const topic = statusTopic(ids[i]!)
      await Promise.all([
        c.publishAsync(topic, JSON.stringify({ online: true, batteryV: 3 + i / 100 }), { qos: 1, retain: true }),
        c.publishAsync(topic, JSON.stringify({ online: true, batteryV: 3.5 + i / 100 }), { qos: 1, retain: true })
      ])
    }))
    await Promise.all(clients.map(async (c, i) => {
      const topic = statusTopic(ids[i]!)
      if (i % 3 === 0) {
        // dropped: its will (offline, with the battery of its last status) is the last state
        c.stream.destroy()
        c.end(true)
        want.set(topic, { online: false, batteryV: 3.5 + i / 100 })
      } else if (i % 3 === 1) {
        // closed cleanly: no will, the last status stands
        await c.endAsync()
        want.set(topic, { online: true, batteryV: 3.5 + i / 100 })
      } else {
        // a third status, then closed cleanly
        await c.publishAsync(topic, JSON.stringify({ online: true, batteryV: 4 + i / 100 }), { qos: 1, retain: true })
        await c.endAsync()
        want.set(topic, { online: true, batteryV: 4 + i / 100 })
      }
    }))
    await waitFor(async () => t.broker.connectedClients === 0 && sameStates(await retainedStatuses(t), want) ? true : undefined, 'every last state retained')
    const w = t.broker.counters.retainedWrites
    // 2 per device, a third for a third of them, a will for another third: all accounted for, in fewer batches
    expect(w.written + w.coalesced).toBe(2 * K + K / 3 + K / 3)
    expect(w.batches).toBeGreaterThan(0)
    expect(w.batches).toBeLessThanOrEqual(w.written)

    await t.stop()
    const again = await startTestBroker({}, t.dataDir)
    try {
      expect(sameStates(await retainedStatuses(again), want)).toBe(true)
    } finally {
      await again.stop()
    }
  })
})
