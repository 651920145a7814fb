import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { REPO_ROOT } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')
const UP = 'application/3f1c/device/0004a30b001c2e5d/event/up'

/**
 * A ChirpStack network server's MQTT integration account (role chirpstack),
 * provisioned with the built CLI, on a broker with anonymous access off.
 */
describe('broker: chirpstack service role (anonymous off)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-chirpstack-'))
  let t: TestBroker
  let ns: { username: string, password: string }
  let ingest: { username: string, password: string }
  let gauge: { username: string, password: string }
  const clients: MqttClient[] = []
  const connectAs = async (o: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(t.url, { reconnectPeriod: 0, connectTimeout: 5000, ...o })
    clients.push(c)
    return c
  }
  const cli = (...args: string[]): string => execFileSync(process.execPath, [CLI, 'device', ...args], { env: { ...process.env, MIMAMORI_DATA_DIR: dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

  beforeAll(async () => {
    ns = JSON.parse(cli('add', '--kind', 'service', '--role', 'chirpstack', '--id', 'chirpstack-ns', '--json')) as typeof ns
    ingest = JSON.parse(cli('add', '--kind', 'ingest', '--id', 'svc-ingest', '--json')) as typeof ingest
    gauge = JSON.parse(cli('add', '--kind', 'gauge', '--id', 'gauge-cs', '--json')) as typeof gauge
    t = await startTestBroker({}, dir)
  })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await t?.close()
  })

  it('lists the account with its role and refuses an unknown role', () => {
    expect(cli('list')).toMatch(/chirpstack-ns\tchirpstack\t/)
    expect(() => cli('add', '--kind', 'service', '--role', 'root', '--id', 'x')).toThrow(/--role must be/)
  })

  it('lets the network server publish uplink events that ingest receives', async () => {
    const sub = await connectAs({ clientId: 'svc-ingest-cs', username: ingest.username, password: ingest.password })
    const granted = await sub.subscribeAsync('application/+/device/+/event/up', { qos: 1 })
    expect(granted[0]?.qos).toBe(1)
    const got = new Promise<[string, string]>(resolve => sub.once('message', (topic, p) => { resolve([topic, p.toString()]) }))
    const pub = await connectAs({ clientId: 'chirpstack-ns-1', username: ns.username, password: ns.password })
    await pub.publishAsync(UP, JSON.stringify({ deviceInfo: { devEui: '0004a30b001c2e5d' }, fPort: 1, data: 'AQI=' }), { qos: 1 })
    const [topic, body] = await got
    expect(topic).toBe(UP)
    expect(JSON.parse(body)).toMatchObject({ fPort: 1 })
  })

  it('refuses the network server anything outside the ChirpStack topics, and devices the ChirpStack topics', async () => {
    const pub = await connectAs({ clientId: 'chirpstack-ns-2', username: ns.username, password: ns.password })
    // SUBACK 0x80 (MQTT.js rejects the subscribe)
    const refusedBefore = t.broker.counters.deniedSubscribe
    await expect(pub.subscribeAsync('mmr/v1/#', { qos: 0 })).rejects.toThrow(/Subscribe error/)
    expect(t.broker.counters.deniedSubscribe).toBe(refusedBefore + 1)
    const commands = await pub.subscribeAsync('application/+/device/+/command/down', { qos: 0 })
    expect(commands[0]?.qos).toBe(0)
    const before = t.broker.counters.deniedPublish
    const closed = new Promise<void>(resolve => pub.once('close', () => { resolve() }))
    pub.publish('mmr/v1/gauge/gauge-cs/up', Buffer.alloc(11), { qos: 1 })
    await closed
    expect(t.broker.counters.deniedPublish).toBe(before + 1)

    const dev = await connectAs({ clientId: 'gauge-cs', username: gauge.username, password: gauge.password })
    const devClosed = new Promise<void>(resolve => dev.once('close', () => { resolve() }))
    dev.publish(UP, '{}', { qos: 1 })
    await devClosed
    expect(t.broker.counters.deniedPublish).toBe(before + 2)
  })
})
