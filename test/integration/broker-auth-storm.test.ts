import { connect as netConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { waitFor } from '../helpers/app.js'
import { connectAs, refusal, startTestBroker, type TestBroker } from '../helpers/broker.js'

const CHECKS = 20

/** one raw CONNECT over TCP; resolves with the CONNACK return code */
async function rawConnect (port: number, username: string, password: string): Promise<number> {
  const bytes = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: username, username, password: Buffer.from(password) })
  return await new Promise<number>((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => { s.write(bytes) })
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    parser.on('packet', (p: mqttPacket.Packet) => {
      if (p.cmd === 'connack') { resolve(p.returnCode ?? -1); s.destroy() }
    })
    s.on('data', (d: Buffer) => { parser.parse(d) })
    s.once('error', reject)
    s.once('close', () => { reject(new Error('closed without CONNACK')) })
  })
}

/**
 * Issue 25: 2 000 bad CONNECTs from one address (as through one LTE/NAT gateway)
 * cost at most broker.limits.authFailures full checks, and the good devices behind
 * the same address stay connected and can reconnect.
 */
describe('broker: a CONNECT brute force from one address', () => {
  let t: TestBroker
  let good: { clientId: string, username: string, password: string }
  let other: { clientId: string, username: string, password: string }
  let device: MqttClient | undefined

  beforeAll(async () => {
    t = await startTestBroker({ broker: { limits: { authFailures: CHECKS, authDeviceFailures: 5 } } })
    good = { clientId: 'gauge-good', username: 'gauge-good', password: (await t.registry.add({ id: 'gauge-good', role: 'device', kind: 'gauge' })).secret }
    other = { clientId: 'gauge-late', username: 'gauge-late', password: (await t.registry.add({ id: 'gauge-late', role: 'device', kind: 'gauge' })).secret }
  })
  afterAll(async () => {
    device?.end(true)
    await t?.close()
  })

  it('costs at most the configured full checks and leaves the good device connected', async () => {
    device = await connectAs(t.url, good)
    const full0 = t.broker.counters.authChecks.full
    const codes = new Map<number, number>()
    const bad = Array.from({ length: 2000 }, (_, i) => i % 2 === 0
      ? { username: 'gauge-good', password: `guess-${i}` } // the good device's id, wrong secrets
      : { username: `gauge-x${i}`, password: `guess-${i}` }) // ids that do not exist
    // 100 at a time: concurrent CONNECTs must not slip past the budget before the first failure lands
    for (let i = 0; i < bad.length; i += 100) {
      const batch = await Promise.all(bad.slice(i, i + 100).map(async b => await rawConnect(t.ports.port, b.username, b.password)))
      for (const c of batch) codes.set(c, (codes.get(c) ?? 0) + 1)
    }
    expect([...codes.keys()].every(c => c === 4 || c === 5)).toBe(true)
    expect((codes.get(4) ?? 0) + (codes.get(5) ?? 0)).toBe(2000)
    const full = t.broker.counters.authChecks.full - full0
    expect(full).toBeLessThanOrEqual(CHECKS)
    expect(full).toBeGreaterThan(0)
    expect(t.broker.counters.authChecks.skippedAddress + t.broker.counters.authChecks.skippedDevice).toBe(2000 - full)
    // the device behind the same address never noticed
    expect(device.connected).toBe(true)
    await device.publishAsync('mmr/v1/gauge/gauge-good/up', Buffer.alloc(11, 1), { qos: 1 })
  })

  it('lets the good device reconnect while its address and its id are hammered (known-good secret)', async () => {
    await device!.endAsync()
    const full0 = t.broker.counters.authChecks.full
    device = await connectAs(t.url, good)
    expect(device.connected).toBe(true)
    expect(t.broker.counters.authChecks.full).toBe(full0)
    expect(t.broker.counters.authChecks.knownGood).toBeGreaterThanOrEqual(1)
  })

  it('refuses a device never seen behind the hammered address until an admin unlocks it', async () => {
    expect(await refusal(t.url, other)).toBe(5)
    expect(t.broker.unlockAuth('127.0.0.1')).toBeGreaterThanOrEqual(1)
    const late = await connectAs(t.url, other)
    expect(late.connected).toBe(true)
    await late.endAsync()
    await waitFor(() => t.broker.connectedClients === 1 ? true : undefined, 'only the good device left')
  })
})
