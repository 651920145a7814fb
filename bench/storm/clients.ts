/**
 * bench/storm client process: `count` gauges, each its own TCP connection, client id,
 * username and secret (raw MQTT 3.1.1 over node:net + mqtt-packet, so 5 000 of them fit
 * in one small process). Like the firmware: CONNECT with a will
 * (`{"online":false}` retained), then a retained `{"online":true}` status and one QoS 1
 * gauge frame per connection; on any close it retries after 1 s + up to 1 s of jitter.
 * Prints one JSON stats line every 250 ms; on SIGTERM writes the PUBACKed frame count
 * per device to --acked-out and exits.
 *
 *   node dist/bench/storm/clients.js --port P --creds FILE --acked-out FILE
 */
import { writeFileSync, readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { parseArgs } from 'node:util'
import mqttPacket from 'mqtt-packet'
import { encodeUplink } from '../../codecs/gauge-v1.js'

const { values } = parseArgs({ options: { port: { type: 'string' }, creds: { type: 'string' }, 'acked-out': { type: 'string' } } })
const PORT = Number(values.port)
const creds = JSON.parse(readFileSync(values.creds!, 'utf8')) as Array<[string, string]>
const MINUTE = 60_000
// every frame its own data minute, in the past and distinct per (device, connection)
const base = Math.floor(Date.now() / MINUTE) * MINUTE - 2000 * MINUTE

interface Gauge { id: string, secret: string, sock?: Socket, up: boolean, connects: number, acked: number, pending: Set<number>, nextMsgId: number }
const gauges: Gauge[] = creds.map(([id, secret]) => ({ id, secret, up: false, connects: 0, acked: 0, pending: new Set(), nextMsgId: 1 }))
const stats = { connected: 0, connacks: 0, refused: 0, errors: 0, acked: 0, firstConnackAt: 0, lastConnackAt: 0 }

function frame (g: Gauge): Buffer {
  return Buffer.from(encodeUplink({ mode: 'observe', levelM: 1.2, batteryV: 3.6, temperatureC: 12, spreadMm: 3, validPings: 20, totalPings: 20, time: base + g.connects * MINUTE }))
}

function dial (g: Gauge): void {
  const sock = connect(PORT, '127.0.0.1')
  g.sock = sock
  sock.setNoDelay(true)
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  sock.on('connect', () => {
    sock.write(mqttPacket.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 600, clientId: g.id, username: g.id, password: Buffer.from(g.secret),
      will: { topic: `mmr/v1/gauge/${g.id}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true }
    }))
  })
  parser.on('packet', (p: mqttPacket.Packet) => {
    if (p.cmd === 'connack') {
      if (p.returnCode !== 0) { stats.refused++; sock.destroy(); return }
      g.up = true
      g.connects++
      stats.connected++
      stats.connacks++
      const now = Date.now()
      if (stats.firstConnackAt === 0) stats.firstConnackAt = now
      stats.lastConnackAt = now
      sock.write(mqttPacket.generate({ cmd: 'publish', topic: `mmr/v1/gauge/${g.id}/status`, payload: Buffer.from('{"online":true,"batteryV":3.6}'), qos: 1, retain: true, messageId: 60_000, dup: false }))
      const id = g.nextMsgId++
      if (g.nextMsgId > 50_000) g.nextMsgId = 1
      g.pending.add(id)
      sock.write(mqttPacket.generate({ cmd: 'publish', topic: `mmr/v1/gauge/${g.id}/up`, payload: frame(g), qos: 1, retain: false, messageId: id, dup: false }))
    } else if (p.cmd === 'puback' && p.messageId !== undefined && g.pending.delete(p.messageId)) {
      g.acked++
      stats.acked++
    }
  })
  sock.on('data', (d: Buffer) => { parser.parse(d) })
  sock.on('error', () => { stats.errors++ })
  sock.on('close', () => {
    if (g.up) stats.connected--
    g.up = false
    g.pending.clear()
    g.sock = undefined
    if (!stopping) setTimeout(() => { dial(g) }, 1000 + Math.random() * 1000)
  })
}

let stopping = false
// 2 000 dials per second at the start, as a fleet powering up does not all start in one tick
gauges.forEach((g, i) => { setTimeout(() => { dial(g) }, Math.floor(i / 2)) })
const tick = setInterval(() => { process.stdout.write(JSON.stringify({ t: Date.now(), ...stats }) + '\n') }, 250)
process.on('SIGTERM', () => {
  stopping = true
  clearInterval(tick)
  writeFileSync(values['acked-out']!, JSON.stringify(Object.fromEntries(gauges.map(g => [g.id, g.acked]))))
  for (const g of gauges) g.sock?.destroy()
  process.stdout.write(JSON.stringify({ t: Date.now(), final: true, ...stats }) + '\n')
  process.exit(0)
})
