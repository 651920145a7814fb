import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type IClientOptions, type MqttClient } from 'mqtt'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { connectAs, refusal, startTestBroker, type TestBroker } from '../helpers/broker.js'
import { apiFetch } from '../helpers/auth.js'

const require = createRequire(import.meta.url)

const will = (topic: string, body: object): NonNullable<IClientOptions['will']> => ({ topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: true })

/** what a broker killed with clients connected leaves in the level persistence: their wills under its id */
async function leaveWills (dir: string, wills: Array<{ clientId: string, topic: string, body: object }>): Promise<void> {
  const { Level } = await import('level')
  const db = new Level<string, Buffer>(dir)
  await db.open()
  const LevelPersistence = require('aedes-persistence-level/asyncPersistence.js') as new (db: unknown) => { setup(b: object): Promise<void>, putWill(c: object, p: object): Promise<void> }
  const p = new LevelPersistence(db)
  await p.setup({ id: 'broker-killed' })
  for (const w of wills) await p.putWill({ id: w.clientId }, { cmd: 'publish', topic: w.topic, payload: Buffer.from(JSON.stringify(w.body)), qos: 1, retain: true, dup: false })
  await db.close()
}
async function willKeys (dir: string): Promise<string[]> {
  const { Level } = await import('level')
  const db = new Level<string, Buffer>(dir)
  await db.open()
  const keys: string[] = []
  for await (const k of db.keys({ gte: 'will:', lt: 'will;' })) keys.push(k)
  await db.close()
  return keys
}

describe('last wills: authorised at CONNECT and when a dead broker\'s wills are published', () => {
  let t: TestBroker
  const clients: MqttClient[] = []
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await t?.close()
  })

  it('refuses a CONNECT whose will targets another device, or is over the status limit (CONNACK 5, will_not_authorized)', async () => {
    t = await startTestBroker({ broker: { heartbeatMs: 200 } })
    const { secret } = await t.registry.add({ id: 'gauge-w', role: 'device', kind: 'gauge' })
    await t.registry.add({ id: 'gauge-v', role: 'device', kind: 'gauge' })
    const creds = { clientId: 'gauge-w', username: 'gauge-w', password: secret }
    expect(await refusal(t.url, { ...creds, will: will('mmr/v1/gauge/gauge-v/status', { online: false }) })).toBe(5)
    expect(await refusal(t.url, { ...creds, will: will('mmr/v1/gauge/gauge-w/status', { online: false, pad: 'x'.repeat(2000) }) })).toBe(5)
    expect(t.broker.counters.closed.will_not_authorized).toBe(2)
    // its own status topic is fine
    const ok = await connectAs(t.url, { ...creds, will: will('mmr/v1/gauge/gauge-w/status', { online: false }) })
    await ok.endAsync()
  })

  it('publishes a device\'s will when its socket dies, with lastSeen and the battery of its last status', async () => {
    const svc = (await t.registry.add({ id: 'svc-w', role: 'ingest' })).secret
    const watcher = await connectAs(t.url, { clientId: 'svc-w', username: 'svc-w', password: svc })
    clients.push(watcher)
    const statuses: Array<Record<string, unknown>> = []
    watcher.on('message', (topic, p) => { if (topic === 'mmr/v1/gauge/gauge-w/status') statuses.push(JSON.parse(p.toString()) as Record<string, unknown>) })
    await watcher.subscribeAsync('mmr/v1/gauge/+/status', { qos: 1 })
    const { secret } = await t.registry.rotate('gauge-w')
    const dev = await connectAs(t.url, { clientId: 'gauge-w', username: 'gauge-w', password: secret, will: will('mmr/v1/gauge/gauge-w/status', { online: false }) })
    await dev.publishAsync('mmr/v1/gauge/gauge-w/status', JSON.stringify({ online: true, batteryV: 3.71 }), { qos: 1, retain: true })
    const before = Date.now()
    dev.stream.destroy()
    const offline = await waitFor(() => statuses.find(s => s.online === false), 'offline status from the will')
    expect(offline.batteryV).toBe(3.71)
    const lastSeen = Date.parse(String(offline.lastSeen))
    expect(lastSeen).toBeGreaterThanOrEqual(before)
    expect(lastSeen).toBeLessThanOrEqual(Date.now())
  })

  it('a dead broker\'s wills: the device\'s own is published (lastSeen from the registry), a forged one is deleted unpublished', async () => {
    await t.stop()
    const dir = join(t.dataDir, t.config.broker.persistence.dir)
    await leaveWills(dir, [
      { clientId: 'gauge-w', topic: 'mmr/v1/gauge/gauge-w/status', body: { online: false, from: 'killed-broker' } },
      // stored before wills were checked at CONNECT: gauge-v claiming gauge-w's status
      { clientId: 'gauge-v', topic: 'mmr/v1/gauge/gauge-w/status', body: { online: false, forged: true } }
    ])
    expect(await willKeys(dir)).toHaveLength(2)
    t = await startTestBroker({ broker: { heartbeatMs: 200 } }, t.dataDir)
    const svc = (await t.registry.rotate('svc-w')).secret
    const watcher = await connectAs(t.url, { clientId: 'svc-w', username: 'svc-w', password: svc })
    clients.push(watcher)
    const statuses: Array<Record<string, unknown>> = []
    watcher.on('message', (topic, p) => { if (topic === 'mmr/v1/gauge/gauge-w/status') statuses.push(JSON.parse(p.toString()) as Record<string, unknown>) })
    await watcher.subscribeAsync('mmr/v1/gauge/gauge-w/status', { qos: 1 })
    const published = await waitFor(() => statuses.find(s => s.from === 'killed-broker'), 'the dead broker\'s will of gauge-w', 20_000)
    expect(published.lastSeen).toBe(new Date(t.registry.get('gauge-w')!.lastSeen!).toISOString())
    await waitFor(() => (t.broker.counters.closed.will_not_authorized ?? 0) >= 1 ? true : undefined, 'forged will refused')
    await t.stop()
    // both handled: published or refused, none left to retry
    expect(await willKeys(dir)).toEqual([])
    expect(statuses.filter(s => s.forged === true)).toEqual([])
  })

  it('a device reconnecting over a dead broker\'s will replaces it with its own (the CONNECT\'s delete is skipped, the put overwrites)', async () => {
    await t.stop()
    const dir = join(t.dataDir, t.config.broker.persistence.dir)
    await leaveWills(dir, [{ clientId: 'gauge-w', topic: 'mmr/v1/gauge/gauge-w/status', body: { online: false, from: 'killed-broker-2' } }])
    // a long heartbeat: the dead broker's will is not swept before the device is back
    t = await startTestBroker({ broker: { heartbeatMs: 60_000 } }, t.dataDir)
    const { secret } = await t.registry.rotate('gauge-w')
    const dev = await connectAs(t.url, { clientId: 'gauge-w', username: 'gauge-w', password: secret, will: will('mmr/v1/gauge/gauge-w/status', { online: false, from: 'reconnected' }) })
    await dev.publishAsync('mmr/v1/gauge/gauge-w/status', JSON.stringify({ online: true }), { qos: 1, retain: true })
    await t.stop()
    // the broker stopped with the device connected: its will (the new one) stays for the next start
    const { Level } = await import('level')
    const read = async (): Promise<string[]> => {
      const db = new Level<string, Buffer>(dir, { valueEncoding: 'buffer' })
      await db.open()
      const bodies: string[] = []
      const msgpack = require('msgpack-lite') as { decode(b: Buffer): { payload: Buffer } }
      for await (const v of db.values({ gte: 'will:', lt: 'will;' })) bodies.push(Buffer.from(msgpack.decode(v).payload).toString())
      await db.close()
      return bodies
    }
    expect((await read()).map(b => JSON.parse(b) as { from?: string }).map(b => b.from)).toEqual(['reconnected'])
    dev.end(true)
  })
})

describe('device status in the API (all-in-one)', () => {
  let app: TestApp
  afterAll(async () => { await app?.close() })

  it('shows online, battery and last seen of a gauge on /api/stations after its will fired', async () => {
    app = await startTestApp()
    const station = app.config.stations[0]!
    const topic = `mmr/v1/gauge/${station.deviceId}/status`
    // the demo broker allows anonymous clients; the device ACL still confines the will to its status topic
    const dev = await connectAs(app.info.mqttUrl, { clientId: station.deviceId, will: will(topic, { online: false }) })
    await dev.publishAsync(topic, JSON.stringify({ online: true, batteryV: 3.55 }), { qos: 1, retain: true })
    const device = async (): Promise<{ online: boolean, batteryV: number | null, lastSeen: string | null } | null> => {
      const list = await (await apiFetch(`${app.info.dashboardUrl}/api/stations`)).json() as Array<{ id: string, device: { online: boolean, batteryV: number | null, lastSeen: string | null } | null }>
      return list.find(s => s.id === station.id)?.device ?? null
    }
    expect(await waitFor(async () => (await device())?.online === true ? await device() : undefined, 'online status in the API')).toMatchObject({ online: true, batteryV: 3.55 })
    const before = Date.now()
    dev.stream.destroy()
    const offline = await waitFor(async () => { const d = await device(); return d?.online === false ? d : undefined }, 'offline status in the API')
    expect(offline.batteryV).toBe(3.55)
    expect(Date.parse(offline.lastSeen!)).toBeGreaterThanOrEqual(before)
  })
})
