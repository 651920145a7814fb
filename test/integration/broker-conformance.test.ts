import { connect as netConnect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { waitFor } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'
import { mosquittoClient, mosquittoPub, type ClientRun } from '../helpers/mosquitto.js'

/**
 * MQTT 3.1.1 behaviours checked with third-party clients: Debian's
 * mosquitto_pub / mosquitto_sub and MQTT.js, against our broker.
 */
describe('MQTT 3.1.1 conformance (mosquitto clients, MQTT.js)', () => {
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

  /** mosquitto_sub in debug mode; resolves once its SUBACK arrived, so publishing after it cannot race */
  async function sub (args: string[]): Promise<ClientRun> {
    const r = mosquittoClient('mosquitto_sub', [...hp, '-d', ...args])
    runs.push(r)
    await waitFor(() => r.out().includes('received SUBACK') ? true : undefined, 'mosquitto_sub subscribed')
    return r
  }
  const payloads = (r: ClientRun): string[] => r.out().split('\n').filter(l => l !== '' && !l.startsWith('Client ') && !l.startsWith('Subscribed'))
  const js = async (o: mqtt.IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(t.url, { reconnectPeriod: 0, ...o })
    clients.push(c)
    return c
  }

  it('retained: a new subscriber gets the last retained message; an empty retained publish clears it', async () => {
    await mosquittoPub([...hp, '-t', 'conf/ret', '-m', 'first', '-r', '-q', '1'])
    await mosquittoPub([...hp, '-t', 'conf/ret', '-m', 'kept', '-r', '-q', '1'])
    const r = mosquittoClient('mosquitto_sub', [...hp, '-t', 'conf/ret', '-C', '1', '-W', '20'])
    runs.push(r)
    expect(await r.exit).toBe(0)
    expect(r.out().trim()).toBe('kept')
    await mosquittoPub([...hp, '-t', 'conf/ret', '-r', '-n', '-q', '1'])
    const c = await js({ clientId: 'ret-check' })
    const first = new Promise<string>(resolve => c.once('message', (_t, p) => { resolve(p.toString()) }))
    await c.subscribeAsync('conf/ret', { qos: 1 })
    await c.publishAsync('conf/ret', 'marker', { qos: 1 })
    expect(await first).toBe('marker')
  })

  it('will: an unclean disconnect publishes the last will; a clean DISCONNECT does not', async () => {
    const r = await sub(['-t', 'conf/will/+', '-q', '1', '-C', '1', '-v'])
    const polite = await js({ clientId: 'will-polite', will: { topic: 'conf/will/polite', payload: Buffer.from('gone'), qos: 1, retain: false } })
    await polite.endAsync()
    const dev = await js({ clientId: 'will-dev', will: { topic: 'conf/will/dev', payload: Buffer.from('offline'), qos: 1, retain: false } })
    dev.stream.destroy()
    expect(await r.exit).toBe(0)
    expect(payloads(r)).toEqual(['conf/will/dev offline'])
  })

  it('QoS 0, 1 and 2 are delivered at min(publish, subscription) QoS', async () => {
    const r = await sub(['-t', 'conf/q/#', '-q', '2', '-C', '3', '-v'])
    const low = await sub(['-t', 'conf/q/#', '-q', '1', '-C', '3', '-v'])
    for (const q of ['0', '1', '2']) await mosquittoPub([...hp, '-t', `conf/q/${q}`, '-m', `m${q}`, '-q', q])
    expect(await r.exit).toBe(0)
    expect(await low.exit).toBe(0)
    expect(payloads(r).sort()).toEqual(['conf/q/0 m0', 'conf/q/1 m1', 'conf/q/2 m2'])
    const received = (run: ClientRun): string[] => run.out().split('\n').filter(l => l.includes('received PUBLISH')).map(l => /q(\d)/.exec(l)?.[1] ?? '?').sort()
    expect(received(r)).toEqual(['0', '1', '2'])
    expect(received(low)).toEqual(['0', '1', '1'])
    // QoS 2 handshake completed from the subscriber's side
    expect(r.out()).toContain('sending PUBCOMP')
  })

  it('persistent session: QoS 1 messages published while the subscriber is away are delivered on return', async () => {
    const away = await sub(['-t', 'conf/sess', '-q', '1', '-c', '-i', 'sess-keep'])
    const gone = t.broker.counters.disconnects
    away.child.kill('SIGTERM')
    await away.exit
    await waitFor(() => t.broker.counters.disconnects > gone ? true : undefined, 'subscriber gone')
    for (const m of ['a', 'b', 'c']) await mosquittoPub([...hp, '-t', 'conf/sess', '-m', m, '-q', '1'])
    const back = mosquittoClient('mosquitto_sub', [...hp, '-t', 'conf/sess', '-q', '1', '-c', '-i', 'sess-keep', '-C', '3', '-W', '20'])
    runs.push(back)
    expect(await back.exit).toBe(0)
    expect(back.out().trim().split('\n')).toEqual(['a', 'b', 'c'])
  })

  it('clean session: a session with messages queued offline is discarded; none of them arrive', async () => {
    const connack = async (o: mqtt.IClientOptions): Promise<{ c: MqttClient, sessionPresent: boolean, seen: string[] }> => {
      const c = mqtt.connect(t.url, { reconnectPeriod: 0, ...o })
      clients.push(c)
      const seen: string[] = []
      // listening before CONNACK: queued messages follow it at once
      c.on('message', (_t, p) => { seen.push(p.toString()) })
      const sessionPresent = await new Promise<boolean>((resolve, reject) => {
        c.once('connect', ack => { resolve(ack.sessionPresent) })
        c.once('error', reject)
      })
      return { c, sessionPresent, seen }
    }
    const first = await connack({ clientId: 'sess-clean', clean: false })
    await first.c.subscribeAsync('conf/clean', { qos: 1 })
    await first.c.endAsync()
    for (const m of ['old-1', 'old-2']) await mosquittoPub([...hp, '-t', 'conf/clean', '-m', m, '-q', '1'])
    // the same id with a persistent session would get them (checked above); with clean: true, not
    const clean = await connack({ clientId: 'sess-clean', clean: true })
    expect(clean.sessionPresent).toBe(false)
    await clean.c.subscribeAsync('conf/clean', { qos: 1 })
    await clean.c.publishAsync('conf/clean', 'fresh', { qos: 1 })
    await waitFor(() => clean.seen.includes('fresh') ? true : undefined, 'fresh message')
    expect(clean.seen).toEqual(['fresh'])
    await clean.c.endAsync()
    // and the old session is gone for good: a persistent reconnect finds nothing
    const again = await connack({ clientId: 'sess-clean', clean: false })
    expect(again.sessionPresent).toBe(false)
    await again.c.subscribeAsync('conf/clean', { qos: 1 })
    await again.c.publishAsync('conf/clean', 'fresh-2', { qos: 1 })
    await waitFor(() => again.seen.includes('fresh-2') ? true : undefined, 'second fresh message')
    expect(again.seen).toEqual(['fresh-2'])
  })

  it('wildcards: + matches one level, # matches the rest', async () => {
    const plus = await sub(['-t', 'conf/w/+/x', '-v', '-C', '1'])
    const hash = await sub(['-t', 'conf/w/#', '-v', '-C', '3'])
    await mosquittoPub([...hp, '-t', 'conf/w/a/y/z', '-m', '1'])
    await mosquittoPub([...hp, '-t', 'conf/w/a/x', '-m', '2'])
    await mosquittoPub([...hp, '-t', 'conf/w', '-m', '3'])
    expect(await plus.exit).toBe(0)
    expect(await hash.exit).toBe(0)
    expect(payloads(plus)).toEqual(['conf/w/a/x 2'])
    expect(payloads(hash).sort()).toEqual(['conf/w 3', 'conf/w/a/x 2', 'conf/w/a/y/z 1'])
  })

  it('unsubscribe stops delivery', async () => {
    const c = await js({ clientId: 'unsub' })
    const seen: string[] = []
    c.on('message', topic => { seen.push(topic) })
    await c.subscribeAsync(['conf/u/gone', 'conf/u/marker'], { qos: 1 })
    await c.unsubscribeAsync('conf/u/gone')
    await mosquittoPub([...hp, '-t', 'conf/u/gone', '-m', 'x', '-q', '1'])
    await mosquittoPub([...hp, '-t', 'conf/u/marker', '-m', 'y', '-q', '1'])
    await waitFor(() => seen.includes('conf/u/marker') ? true : undefined, 'marker')
    expect(seen).toEqual(['conf/u/marker'])
  })

  /** raw CONNECT (3.1.1) so the client id and flags are exactly what the test says */
  function rawConnect (clientId: string, clean: boolean, keepaliveS: number): { socket: Socket, connack: Promise<number>, closed: Promise<void> } {
    const id = Buffer.from(clientId)
    const body = Buffer.concat([Buffer.from([0, 4, 77, 81, 84, 84, 4, clean ? 0x02 : 0x00, keepaliveS >> 8, keepaliveS & 0xff, id.length >> 8, id.length & 0xff]), id])
    const socket = netConnect(t.ports.port, '127.0.0.1', () => { socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])) })
    socket.on('error', () => undefined)
    const connack = new Promise<number>((resolve, reject) => {
      socket.once('data', (d: Buffer) => { d[0] === 0x20 ? resolve(d[3]!) : reject(new Error(`not a CONNACK: ${d.toString('hex')}`)) })
    })
    const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
    return { socket, connack, closed }
  }

  it('zero-length client id: accepted with a clean session, refused (identifier rejected) with a persistent one', async () => {
    const ok = rawConnect('', true, 30)
    expect(await ok.connack).toBe(0)
    ok.socket.destroy()
    const refused = rawConnect('', false, 30)
    expect(await refused.connack).toBe(2)
    await refused.closed
  })

  it('keep-alive: a client silent for 1.5 × its keep-alive is disconnected, counted as keepalive_timeout', async () => {
    const before = t.broker.counters.closed.keepalive_timeout ?? 0
    const silent = rawConnect('ka-silent', true, 1)
    expect(await silent.connack).toBe(0)
    await silent.closed
    await waitFor(() => (t.broker.counters.closed.keepalive_timeout ?? 0) > before ? true : undefined, 'keep-alive timeout counted')
  })
})
