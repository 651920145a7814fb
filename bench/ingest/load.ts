/**
 * bench/ingest load generator (its own process, pinned apart from the platform):
 * D gauges, each its own MQTT connection and client id, publish F real 11-byte
 * frame-v1 uplinks each (one per data minute, so every frame is a distinct reading)
 * on `mmr/v1/gauge/{id}/up`. QoS 1 keeps --window frames in flight per gauge and
 * counts PUBACKs; QoS 0 counts socket writes. Prints one JSON line.
 *
 *   node dist/bench/ingest/load.js --url mqtt://127.0.0.1:1883 --devices 1000 --frames 200000 --qos 1
 */
import mqtt, { type MqttClient } from 'mqtt'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { benchDeviceId } from './fleet.js'
import { benchArgs } from '../lib/args.js'

const values = benchArgs({ url: 'mqtt://127.0.0.1:1883', devices: '1000', frames: '200000', qos: '1', window: '8', 'connect-parallel': '100' })
const DEVICES = Number(values.devices)
const PER_DEVICE = Math.ceil(Number(values.frames) / DEVICES)
const QOS = values.qos === '0' ? 0 : 1
const WINDOW = Number(values.window)
const MINUTE = 60_000

export interface IngestLoadResult {
  devices: number
  sent: number
  acked: number
  /** epoch ms */
  firstSend: number
  lastAck: number
  connectS: number
  errors: number
}

async function connectAll (): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array<MqttClient>(DEVICES)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < DEVICES) {
      const i = next++
      clients[i] = await mqtt.connectAsync(values.url, { clientId: benchDeviceId(i), clean: true, reconnectPeriod: 0, keepalive: 600 })
    }
  }
  await Promise.all(Array.from({ length: Number(values['connect-parallel']) }, worker))
  return clients
}

async function main (): Promise<void> {
  const t0 = Date.now()
  const clients = await connectAll()
  const connectS = (Date.now() - t0) / 1000
  // data times in the past, one minute apart: frame tags resolve to distinct, already-due minutes
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - (PER_DEVICE + 10) * MINUTE
  const frames = Array.from({ length: PER_DEVICE }, (_, j) => Buffer.from(encodeUplink({
    mode: 'observe',
    levelM: Math.round((1 + 0.2 * Math.sin(j / 15)) * 100) / 100,
    batteryV: 3.6,
    temperatureC: 12,
    spreadMm: 3,
    validPings: 20,
    totalPings: 20,
    time: base + j * MINUTE
  })))
  let sent = 0
  let acked = 0
  let errors = 0
  let lastAck = 0
  const firstSend = Date.now()
  await Promise.all(clients.map(async (c, i) => {
    const topic = `mmr/v1/gauge/${benchDeviceId(i)}/up`
    let j = 0
    const lane = async (): Promise<void> => {
      while (j < PER_DEVICE) {
        const frame = frames[j++]!
        sent++
        try {
          await c.publishAsync(topic, frame, { qos: QOS })
          acked++
          lastAck = Date.now()
        } catch {
          errors++
        }
      }
    }
    await Promise.all(Array.from({ length: QOS === 1 ? WINDOW : 1 }, lane))
  }))
  const result: IngestLoadResult = { devices: DEVICES, sent, acked, firstSend, lastAck, connectS, errors }
  process.stdout.write(JSON.stringify(result) + '\n')
  // a graceful end: QoS 0 publishes resolve when queued on the socket, and a forced end would drop them
  await Promise.all(clients.map(async c => { await c.endAsync(false).catch(() => {}) }))
  process.exit(0)
}

void main()
