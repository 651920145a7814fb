import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { waitFor } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'
import { mosquittoClient, mosquittoPub, type ClientRun } from '../helpers/mosquitto.js'

/**
 * Topics starting with `$` ([MQTT-4.7.2]): a client may publish to them (except
 * `$SYS`, the broker's own) and gets every QoS 1/2 acknowledgement; only a
 * subscription naming the `$` level receives them, never `#` or `+/…`, on any path
 * (live, retained, the offline queue of a persistent session).
 */
describe('broker: $ topics at QoS 0/1/2 (MQTT.js, mosquitto clients)', () => {
  let t: TestBroker
  let hp: string[]
  const runs: ClientRun[] = []
  const clients: MqttClient[] = []

  beforeAll(async () => {
    t = await startTestBroker({ broker: { allowAnonymous: true } })
    hp = ['-h', '127.0.0.1', '-p', String(t.ports.port)]
  })
  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGKILL')
    for (const c of clients) c.end(true)
    await t?.close()
  })

  const js = async (o: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(t.url, { reconnectPeriod: 0, connectTimeout: 5000, ...o })
    clients.push(c)
    return c
  }
  const collect = (c: MqttClient): string[] => {
    const seen: string[] = []
    c.on('message', (topic, payload) => { seen.push(`${topic} ${payload.toString()}`) })
    return seen
  }
  /** mosquitto_sub in debug mode, resolved once its SUBACK arrived */
  async function sub (args: string[]): Promise<ClientRun> {
    const r = mosquittoClient('mosquitto_sub', [...hp, '-d', ...args])
    runs.push(r)
    await waitFor(() => r.out().includes('received SUBACK') ? true : undefined, 'mosquitto_sub subscribed')
    return r
  }
  const payloads = (r: ClientRun): string[] => r.out().split('\n').filter(l => l !== '' && !l.startsWith('Client ') && !l.startsWith('Subscribed'))

  it('MQTT.js: QoS 0/1/2 to $TopicA/B are acknowledged and reach exact subscribers only', async () => {
    const exact = await js({ clientId: 'dollar-exact' })
    const exactSeen = collect(exact)
    await exact.subscribeAsync(['$TopicA/B', '$TopicA/#'], { qos: 2 })
    const wild = await js({ clientId: 'dollar-wild' })
    const wildSeen = collect(wild)
    await wild.subscribeAsync(['#', '+/B'], { qos: 2 })

    const pub = await js({ clientId: 'dollar-pub' })
    // publishAsync resolves on PUBACK (QoS 1) and PUBCOMP (QoS 2): the bug left QoS 1 in flight
    for (const qos of [0, 1, 2] as const) await pub.publishAsync('$TopicA/B', `q${qos}`, { qos })
    await pub.publishAsync('dollar/marker', 'end', { qos: 1 })
    await waitFor(() => wildSeen.includes('dollar/marker end') ? true : undefined, 'marker at the # subscriber')
    await waitFor(() => exactSeen.length >= 3 ? true : undefined, 'three deliveries to the exact subscriber')
    // once per message although two of its filters match (Aedes dedupes per client)
    expect(exactSeen.sort()).toEqual(['$TopicA/B q0', '$TopicA/B q1', '$TopicA/B q2'])
    expect(wildSeen).toEqual(['dollar/marker end'])
    expect(pub.connected).toBe(true)
    expect(t.broker.counters.closed.not_authorized ?? 0).toBe(0)
    // DISCONNECT finds nothing in flight
    await pub.endAsync()
  })

  it('mosquitto_pub -q 1 / -q 2 complete their handshakes on a $ topic; mosquitto_sub -t "#" never sees it', async () => {
    const exact = await sub(['-t', '$TopicM/x', '-q', '2', '-v', '-C', '3'])
    const wild = await sub(['-t', '#', '-q', '2', '-v'])
    for (const q of ['0', '1', '2']) await mosquittoPub([...hp, '-t', '$TopicM/x', '-m', `m${q}`, '-q', q, '-d'])
    await mosquittoPub([...hp, '-t', 'dollar/m-marker', '-m', 'end', '-q', '1'])
    expect(await exact.exit).toBe(0)
    expect(payloads(exact).sort()).toEqual(['$TopicM/x m0', '$TopicM/x m1', '$TopicM/x m2'])
    await waitFor(() => payloads(wild).includes('dollar/m-marker end') ? true : undefined, 'marker at mosquitto_sub #')
    expect(payloads(wild).filter(l => l.startsWith('$'))).toEqual([])
  })

  it('mosquitto_pub waits for PUBACK and PUBCOMP: -d shows them for a $ topic', async () => {
    const q1 = mosquittoClient('mosquitto_pub', [...hp, '-t', '$TopicA/B', '-m', 'x', '-q', '1', '-d'])
    const q2 = mosquittoClient('mosquitto_pub', [...hp, '-t', '$TopicA/B', '-m', 'x', '-q', '2', '-d'])
    runs.push(q1, q2)
    expect(await q1.exit).toBe(0)
    expect(await q2.exit).toBe(0)
    expect(q1.out()).toContain('received PUBACK')
    expect(q2.out()).toContain('received PUBREC')
    expect(q2.out()).toContain('received PUBCOMP')
  })

  it('a retained $ message goes to a new exact subscriber, not to a new # subscriber', async () => {
    const pub = await js({ clientId: 'dollar-ret-pub' })
    await pub.publishAsync('$TopicR/kept', 'retained', { qos: 1, retain: true })
    await pub.publishAsync('dollar/ret-marker', 'plain', { qos: 1, retain: true })
    const exact = await js({ clientId: 'dollar-ret-exact' })
    const exactSeen = collect(exact)
    await exact.subscribeAsync('$TopicR/kept', { qos: 1 })
    await waitFor(() => exactSeen.length > 0 ? true : undefined, 'retained $ message at the exact subscriber')
    expect(exactSeen).toEqual(['$TopicR/kept retained'])
    const wild = await js({ clientId: 'dollar-ret-wild' })
    const wildSeen = collect(wild)
    await wild.subscribeAsync('#', { qos: 1 })
    await waitFor(() => wildSeen.some(l => l.startsWith('dollar/ret-marker')) ? true : undefined, 'retained marker at #')
    expect(wildSeen.filter(l => l.startsWith('$'))).toEqual([])
    await pub.publishAsync('$TopicR/kept', '', { qos: 1, retain: true })
    await pub.publishAsync('dollar/ret-marker', '', { qos: 1, retain: true })
  })

  it('a persistent # session is not handed $ messages queued while it was away', async () => {
    const first = await js({ clientId: 'dollar-away', clean: false })
    await first.subscribeAsync(['#', '$TopicS/exact'], { qos: 1 })
    await first.endAsync()
    const pub = await js({ clientId: 'dollar-away-pub' })
    await pub.publishAsync('$TopicS/wild', 'hidden', { qos: 1 })
    await pub.publishAsync('$TopicS/exact', 'named', { qos: 1 })
    await pub.publishAsync('dollar/away-marker', 'plain', { qos: 1 })
    const back = mqtt.connect(t.url, { reconnectPeriod: 0, clientId: 'dollar-away', clean: false })
    clients.push(back)
    // listening before CONNACK: the queue follows it at once
    const seen = collect(back)
    await waitFor(() => seen.includes('dollar/away-marker plain') ? true : undefined, 'queued marker after reconnect')
    await waitFor(() => seen.includes('$TopicS/exact named') ? true : undefined, 'queued $ message for the exact subscription')
    expect(seen.filter(l => l.startsWith('$'))).toEqual(['$TopicS/exact named'])
  })

  it('$SYS is the broker\'s: a PUBLISH closes the client (counted), a SUBSCRIBE gets SUBACK 0x80', async () => {
    const denied = t.broker.counters.deniedSubscribe
    const r = mosquittoClient('mosquitto_sub', [...hp, '-d', '-t', '$SYS/#'])
    runs.push(r)
    await waitFor(() => r.out().includes('received SUBACK') ? true : undefined, 'SUBACK for $SYS/#')
    // mosquitto_sub prints the granted QoS of each filter: 128 is the failure code
    expect(r.out()).toMatch(/Subscribed \(mid: \d+\): 128/)
    expect(t.broker.counters.deniedSubscribe).toBe(denied + 1)

    const before = t.broker.counters.closed.not_authorized ?? 0
    const c = await js({ clientId: 'dollar-sys' })
    const gone = new Promise<void>(resolve => c.once('close', () => { resolve() }))
    c.publish(`$SYS/${t.broker.id}/new/clients`, 'dollar-exact', { qos: 1 })
    await gone
    await waitFor(() => (t.broker.counters.closed.not_authorized ?? 0) > before ? true : undefined, 'not_authorized counted')
  })
})

describe('broker: ACL refusals with anonymous off', () => {
  let t: TestBroker
  let gauge: { username: string, password: string }
  const clients: MqttClient[] = []

  beforeAll(async () => {
    t = await startTestBroker()
    const g = await t.registry.add({ id: 'gauge-d', role: 'device', kind: 'gauge', stationId: 'st-d' })
    gauge = { username: 'gauge-d', password: g.secret }
  })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await t?.close()
  })

  it('a denied SUBSCRIBE is answered with SUBACK 0x80 per filter and the connection stays usable', async () => {
    const before = t.broker.counters.deniedSubscribe
    const dev = await mqtt.connectAsync(t.url, { reconnectPeriod: 0, clientId: 'gauge-d', ...gauge })
    clients.push(dev)
    // one SUBSCRIBE, three filters: the SUBACK carries one code per filter, in order
    const suback = new Promise<number[]>(resolve => {
      dev.on('packetreceive', p => { if (p.cmd === 'suback') resolve(p.granted as number[]) })
    })
    dev.subscribe(['mmr/v1/gauge/gauge-d/down', 'mmr/v1/gauge/other/down', '$TopicA/B'], { qos: 1 }, () => undefined)
    expect(await suback).toEqual([1, 0x80, 0x80])
    expect(t.broker.counters.deniedSubscribe).toBe(before + 2)
    expect(dev.connected).toBe(true)
    await dev.publishAsync('mmr/v1/gauge/gauge-d/up', Buffer.alloc(11, 1), { qos: 1 })
  })

  it('a device publishing to a $ topic is outside its ACL: closed and counted as not_authorized', async () => {
    const before = t.broker.counters.closed.not_authorized ?? 0
    const dev = await mqtt.connectAsync(t.url, { reconnectPeriod: 0, clientId: 'gauge-d', ...gauge })
    clients.push(dev)
    const gone = new Promise<void>(resolve => dev.once('close', () => { resolve() }))
    dev.publish('$TopicA/B', 'x', { qos: 1 })
    await gone
    await waitFor(() => (t.broker.counters.closed.not_authorized ?? 0) > before ? true : undefined, 'not_authorized counted')
  })
})
