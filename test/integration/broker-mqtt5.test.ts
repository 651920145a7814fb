import { connect as netConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { waitFor } from '../helpers/app.js'
import { refusal, startTestBroker, type TestBroker } from '../helpers/broker.js'
import { mosquittoClient } from '../helpers/mosquitto.js'

/**
 * The broker speaks MQTT 3.1.1 (and 3.1); an MQTT 5 CONNECT is refused the way
 * [MQTT-3.1.2-2] says: CONNACK return code 0x01 (unacceptable protocol level),
 * then the connection is closed. No session, no will, counted as
 * `closed.unacceptable_protocol`. docs/broker.md explains why (Aedes 1.x).
 */
describe('broker: MQTT 5 CONNECT refused cleanly', () => {
  let t: TestBroker
  const clients: MqttClient[] = []

  beforeAll(async () => {
    t = await startTestBroker({ broker: { allowAnonymous: true } })
  })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await t?.close()
  })

  const refused = (): number => t.broker.counters.closed.unacceptable_protocol ?? 0

  it('raw v5 CONNECT: a 3.1.1 CONNACK 0x01, then the broker closes the socket', async () => {
    const before = refused()
    // CONNECT: "MQTT", level 5, clean start, keep-alive 30, properties (Receive Maximum 20), client id "v5raw"
    const body = Buffer.from([0, 4, 77, 81, 84, 84, 5, 0x02, 0, 30, 3, 0x21, 0, 20, 0, 5, ...Buffer.from('v5raw')])
    const socket = netConnect(t.ports.port, '127.0.0.1', () => { socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])) })
    socket.on('error', () => undefined)
    let received = Buffer.alloc(0)
    socket.on('data', (d: Buffer) => { received = Buffer.concat([received, d]) })
    await new Promise<void>(resolve => socket.once('close', () => { resolve() }))
    expect(received.toString('hex')).toBe('20020001')
    expect(refused()).toBe(before + 1)
  })

  it('MQTT.js protocolVersion 5: refused with code 1, its will never published', async () => {
    const watcher = await mqtt.connectAsync(t.url, { reconnectPeriod: 0, clientId: 'v5-watch' })
    clients.push(watcher)
    const seen: string[] = []
    watcher.on('message', topic => { seen.push(topic) })
    await watcher.subscribeAsync('v5/#', { qos: 1 })
    const before = refused()
    const code = await refusal(t.url, { clientId: 'v5-js', protocolVersion: 5, will: { topic: 'v5/will', payload: Buffer.from('gone'), qos: 1, retain: false } })
    expect(code).toBe(1)
    expect(refused()).toBe(before + 1)
    // the 3.1.1 session beside it is untouched and the will did not fire
    await watcher.publishAsync('v5/marker', 'x', { qos: 1 })
    await waitFor(() => seen.includes('v5/marker') ? true : undefined, 'marker')
    expect(seen).toEqual(['v5/marker'])
  })

  it('mosquitto_pub -V mqttv5 reports an unsupported protocol version and exits non-zero', async () => {
    const before = refused()
    const r = mosquittoClient('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(t.ports.port), '-V', 'mqttv5', '-t', 'v5/pub', '-m', 'x', '-q', '1'])
    expect(await r.exit).not.toBe(0)
    expect(r.err()).toContain('Unsupported Protocol Version')
    expect(refused()).toBe(before + 1)
    // mqttv311 on the same listener works
    const ok = mosquittoClient('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(t.ports.port), '-V', 'mqttv311', '-t', 'v5/pub', '-m', 'x', '-q', '1'])
    expect(await ok.exit).toBe(0)
  })
})
