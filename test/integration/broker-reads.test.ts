import { connect as netConnect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { waitFor } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'

/**
 * broker/reads.ts takes at most 1 KB from a connection per batch while more is
 * buffered. Whatever way the bytes arrive, every packet must come out whole:
 * thousands of packets in one TCP write, a large PUBLISH, and a capped batch that
 * ends inside a packet whose remaining bytes are already buffered (nothing more
 * arrives to wake the reader).
 */
describe('broker: bounded reads deliver every packet, however the bytes arrive', () => {
  let t: TestBroker
  let sub: MqttClient
  const seen = new Map<string, Buffer[]>()

  beforeAll(async () => {
    t = await startTestBroker({ broker: { allowAnonymous: true } })
    sub = await mqtt.connectAsync(t.url, { clientId: 'reads-sub', reconnectPeriod: 0 })
    sub.on('message', (topic, payload) => {
      const list = seen.get(topic) ?? []
      list.push(Buffer.from(payload))
      seen.set(topic, list)
    })
    await sub.subscribeAsync('reads/#', { qos: 1 })
  })
  afterAll(async () => {
    sub?.end(true)
    await t?.close()
  })

  const varint = (n: number): number[] => {
    const out: number[] = []
    do {
      let b = n % 128
      n = Math.floor(n / 128)
      if (n > 0) b |= 0x80
      out.push(b)
    } while (n > 0)
    return out
  }
  const publish = (topic: string, payload: Buffer): Buffer => {
    const t = Buffer.from(topic)
    const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, payload])
    return Buffer.concat([Buffer.from([0x30, ...varint(body.length)]), body])
  }
  /** a raw 3.1.1 client, CONNACK awaited */
  async function raw (clientId: string): Promise<Socket> {
    const id = Buffer.from(clientId)
    const body = Buffer.concat([Buffer.from([0, 4, 77, 81, 84, 84, 4, 0x02, 0, 60, id.length >> 8, id.length & 0xff]), id])
    const socket = netConnect(t.ports.port, '127.0.0.1')
    socket.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => { socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])) })
      socket.once('data', (d: Buffer) => { d[0] === 0x20 && d[3] === 0 ? resolve() : reject(new Error(d.toString('hex'))) })
    })
    return socket
  }

  it('3000 QoS 0 packets in one write all arrive, in order', async () => {
    const s = await raw('reads-burst')
    const n = 3000
    const publishedBefore = t.broker.counters.published
    s.write(Buffer.concat(Array.from({ length: n }, (_, i) => publish('reads/burst', Buffer.from(String(i))))))
    await waitFor(() => (seen.get('reads/burst')?.length ?? 0) >= n ? true : undefined, `${n} burst packets (have ${seen.get('reads/burst')?.length ?? 0})`)
    expect(seen.get('reads/burst')!.map(b => b.toString())).toEqual(Array.from({ length: n }, (_, i) => String(i)))
    // counted by Aedes' `published` hook (broker/hooks/events.ts), once per client publish
    await waitFor(() => t.broker.counters.published - publishedBefore >= n ? true : undefined, 'published counted')
    expect(t.broker.counters.published - publishedBefore).toBe(n)
    s.destroy()
  })

  it('a 60 KB PUBLISH in one write arrives whole', async () => {
    const s = await raw('reads-big')
    const payload = Buffer.alloc(60_000, 7)
    payload.writeUInt32BE(0xdeadbeef, 30_000)
    s.write(publish('reads/big', payload))
    await waitFor(() => seen.get('reads/big')?.length === 1 ? true : undefined, 'the large packet')
    expect(seen.get('reads/big')![0]!.equals(payload)).toBe(true)
    s.destroy()
  })

  it('a capped batch that ends inside a packet whose rest is already buffered still completes it', async () => {
    const s = await raw('reads-split')
    // ~1.5 KB of small packets, then a 5 KB packet, all in one write: the first capped batch
    // (1 KB) ends inside the small ones, a later one inside the big one, with no more bytes to come
    const small = Array.from({ length: 60 }, (_, i) => publish('reads/split', Buffer.from(`s${i}`)))
    const big = publish('reads/split', Buffer.alloc(5000, 1))
    s.write(Buffer.concat([...small, big]))
    await waitFor(() => (seen.get('reads/split')?.length ?? 0) >= 61 ? true : undefined, `61 split packets (have ${seen.get('reads/split')?.length ?? 0})`)
    const got = seen.get('reads/split')!
    expect(got.slice(0, 60).map(b => b.toString())).toEqual(Array.from({ length: 60 }, (_, i) => `s${i}`))
    expect(got[60]!.length).toBe(5000)
    s.destroy()
  })
})
