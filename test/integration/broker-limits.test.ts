import { connect as netConnect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { waitFor } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'

/** MQTT packets byte by byte, so a test sends exactly what it says (MQTT.js refuses to send bad ones) */
const str = (s: string | Buffer): Buffer => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]) }
function varint (n: number): Buffer {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}
const packet = (first: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([first]), varint(body.length), body])
function connectPacket (o: { clientId: string, username?: string, password?: string, keepalive: number }): Buffer {
  const flags = 0x02 | (o.username !== undefined ? 0x80 : 0) | (o.password !== undefined ? 0x40 : 0)
  return packet(0x10, Buffer.concat([
    str('MQTT'), Buffer.from([4, flags, o.keepalive >> 8, o.keepalive & 0xff]), str(o.clientId),
    ...(o.username !== undefined ? [str(o.username)] : []), ...(o.password !== undefined ? [str(o.password)] : [])
  ]))
}

interface Raw { socket: Socket, connack: Promise<number>, closed: Promise<void> }
function raw (port: number, connect: Buffer): Raw {
  const socket = netConnect(port, '127.0.0.1', () => { socket.write(connect) })
  socket.on('error', () => undefined)
  const connack = new Promise<number>((resolve, reject) => {
    socket.once('data', (d: Buffer) => { d[0] === 0x20 ? resolve(d[3]!) : reject(new Error(`not a CONNACK: ${d.toString('hex')}`)) })
  })
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  return { socket, connack, closed }
}

async function closedClient (client: MqttClient): Promise<void> {
  if (!client.connected) return
  await new Promise<void>(resolve => client.once('close', () => { resolve() }))
}

describe('broker limits: WebSocket, keep-alive, malformed and early-refused packets', () => {
  let t: TestBroker
  let gauge: { username: string, password: string }
  let camera: { username: string, password: string }
  let svc: { username: string, password: string }
  const clients: MqttClient[] = []
  const sockets: Socket[] = []
  const ws = (): string => `ws://127.0.0.1:${t.ports.wsPort}/mqtt`
  const js = async (url: string, o: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, keepalive: 20, ...o })
    clients.push(c)
    return c
  }
  const closedBy = (reason: string): number => t.broker.counters.closed[reason] ?? 0

  beforeAll(async () => {
    t = await startTestBroker({ broker: { limits: { keepaliveMaxS: 30 } } })
    gauge = { username: 'gauge-l', password: (await t.registry.add({ id: 'gauge-l', role: 'device', kind: 'gauge' })).secret }
    camera = { username: 'cam-l', password: (await t.registry.add({ id: 'cam-l', role: 'device', kind: 'camera' })).secret }
    svc = { username: 'svc-l', password: (await t.registry.add({ id: 'svc-l', role: 'ingest' })).secret }
  })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    for (const s of sockets) s.destroy()
    await t?.close()
  })

  it('WebSocket: a device publishes and reads its own downlink over ws://…/mqtt, under the same ACL', async () => {
    const service = await js(t.url, { clientId: 'svc-l-1', ...svc })
    const seen: string[] = []
    service.on('message', (topic, p) => { seen.push(`${topic} ${p.toString('hex')}`) })
    await service.subscribeAsync('mmr/v1/gauge/+/up', { qos: 1 })
    const dev = await js(ws(), { clientId: 'gauge-l', ...gauge, keepalive: 20 })
    expect((await dev.subscribeAsync('mmr/v1/gauge/gauge-l/down', { qos: 1 }))[0]?.qos).toBe(1)
    await expect(dev.subscribeAsync('mmr/v1/gauge/other/down', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await dev.publishAsync('mmr/v1/gauge/gauge-l/up', Buffer.alloc(11, 2), { qos: 1 })
    await waitFor(() => seen.includes(`mmr/v1/gauge/gauge-l/up ${'02'.repeat(11)}`) ? true : undefined, 'uplink over WebSocket reached the service')
    const down = new Promise<string>(resolve => dev.once('message', (topic, p) => { resolve(`${topic} ${p.toString('hex')}`) }))
    await service.publishAsync('mmr/v1/gauge/gauge-l/down', Buffer.from([0x10]), { qos: 1 })
    expect(await down).toBe('mmr/v1/gauge/gauge-l/down 10')
    // another device's topic over WebSocket closes the client, as over TCP
    const before = closedBy('not_authorized')
    dev.publish('mmr/v1/gauge/other/up', Buffer.alloc(11), { qos: 1 })
    await closedClient(dev)
    await waitFor(() => closedBy('not_authorized') > before ? true : undefined, 'not_authorized counted')
    expect(service.connected).toBe(true)
  })

  it('WebSocket: a frame above maxPacketBytes closes only that client, counted as packet_too_large', async () => {
    const bystander = await js(ws(), { clientId: 'gauge-l', ...gauge, keepalive: 20 })
    const cam = await js(ws(), { clientId: 'cam-l', ...camera, keepalive: 20 })
    const before = closedBy('packet_too_large')
    cam.publish('mmr/v1/camera/cam-l/image', Buffer.alloc(t.config.broker.maxPacketBytes + 1000, 1), { qos: 1 })
    await closedClient(cam)
    await waitFor(() => closedBy('packet_too_large') > before ? true : undefined, 'packet_too_large counted')
    expect(bystander.connected).toBe(true)
    await bystander.publishAsync('mmr/v1/gauge/gauge-l/status', JSON.stringify({ online: true }), { qos: 1 })
  })

  it('keep-alive: above keepaliveMaxS (and 0, "never") is refused with CONNACK 6, counted; within it is accepted', async () => {
    const before = closedBy('keepalive_not_allowed')
    for (const keepalive of [60, 0]) {
      const r = raw(t.ports.port, connectPacket({ clientId: 'gauge-l', ...gauge, keepalive }))
      sockets.push(r.socket)
      expect(await r.connack).toBe(6)
      await r.closed
    }
    await waitFor(() => closedBy('keepalive_not_allowed') >= before + 2 ? true : undefined, 'keepalive_not_allowed counted twice')
    const ok = raw(t.ports.port, connectPacket({ clientId: 'gauge-l', ...gauge, keepalive: 30 }))
    sockets.push(ok.socket)
    expect(await ok.connack).toBe(0)
    ok.socket.destroy()
  })

  it('a malformed PUBLISH (wildcard in its topic, QoS 3) closes only that client, counted as protocol_error', async () => {
    const bystander = await js(t.url, { clientId: 'cam-l', ...camera })
    for (const bad of [
      packet(0x30, Buffer.concat([str('mmr/v1/gauge/gauge-l/#'), Buffer.alloc(11)])),
      packet(0x36, Buffer.concat([str('mmr/v1/gauge/gauge-l/up'), Buffer.from([0, 1]), Buffer.alloc(11)]))
    ]) {
      const before = closedBy('protocol_error')
      const r = raw(t.ports.port, connectPacket({ clientId: 'gauge-l', ...gauge, keepalive: 30 }))
      sockets.push(r.socket)
      expect(await r.connack).toBe(0)
      r.socket.write(bad)
      await r.closed
      await waitFor(() => closedBy('protocol_error') > before ? true : undefined, 'protocol_error counted')
    }
    expect(bystander.connected).toBe(true)
    await bystander.publishAsync('mmr/v1/camera/cam-l/status', JSON.stringify({ online: true }), { qos: 1 })
  })

  it('a PUBLISH too large for its topic class is refused from its header and topic, before the payload arrives', async () => {
    const before = closedBy('payload_too_large')
    const r = raw(t.ports.port, connectPacket({ clientId: 'gauge-l', ...gauge, keepalive: 30 }))
    sockets.push(r.socket)
    expect(await r.connack).toBe(0)
    // 100 kB announced on a gauge topic (limit 256 B, far below maxPacketBytes); only header + topic sent
    const topic = str('mmr/v1/gauge/gauge-l/up')
    r.socket.write(Buffer.concat([Buffer.from([0x30]), varint(topic.length + 100_000), topic]))
    await r.closed
    expect(closedBy('payload_too_large')).toBe(before + 1)
  })
})
