/**
 * bench/broker load generator: its own process (spawned by bench/broker/run.ts,
 * pinned to its own CPU when taskset is available), so the broker under test
 * never shares an event loop with the load.
 *
 *   node dist/bench/broker/load.js --url mqtt://127.0.0.1:1883 --qos 1 --messages 40000 --publishers 100 --warmup 5000
 *
 * Fan-in: P publishers → one subscriber on `bench/#` (the shape of our ingest),
 * 11-byte payloads carrying the send time (process.hrtime, monotonic).
 * A warm-up round of --warmup messages runs first over the same connections and
 * is not counted; the measured window runs from the first measured send to the
 * last measured receipt. Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    qos: { type: 'string', default: '0' },
    messages: { type: 'string', default: '40000' },
    publishers: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '5000' },
    window: { type: 'string' },
    'timeout-ms': { type: 'string', default: '120000' }
  }
})
const URL_ = values.url ?? 'mqtt://127.0.0.1:1883'
const QOS = Number(values.qos) === 1 ? 1 : 0
const MESSAGES = Number(values.messages)
const PUBLISHERS = Number(values.publishers)
const WARMUP = Number(values.warmup)
/** messages a publisher has outstanding at once (QoS 1: awaiting PUBACK; QoS 0: awaiting the socket write) */
const WINDOW = values.window !== undefined ? Number(values.window) : QOS === 0 ? 50 : 20
const TIMEOUT_MS = Number(values['timeout-ms'])

export interface LoadResult {
  qos: 0 | 1
  messages: number
  received: number
  seconds: number
  msgsPerS: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

async function round (sub: MqttClient, pubs: MqttClient[], n: number, tag: string): Promise<Omit<LoadResult, 'qos' | 'messages'>> {
  const latencies = new Float64Array(n)
  let received = 0
  let end = 0n
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined
  const done = new Promise<void>(resolve => {
    onMessage = (topic, payload) => {
      if (!topic.startsWith(tag)) return // a late message of the previous round
      const now = process.hrtime.bigint()
      if (received < n) latencies[received] = Number(now - payload.readBigUInt64BE(0)) / 1e6
      received++
      if (received === n) { end = now; resolve() }
    }
    sub.on('message', onMessage)
  })
  const perPublisher = Math.ceil(n / pubs.length)
  const start = process.hrtime.bigint()
  await Promise.all(pubs.map(async (p, i) => {
    let sent = 0
    const topic = `${tag}/dev-${i}/up`
    const quota = Math.max(0, Math.min(perPublisher, n - i * perPublisher))
    while (sent < quota) {
      const batch: Array<Promise<unknown>> = []
      for (let k = 0; k < WINDOW && sent < quota; k++, sent++) {
        const payload = Buffer.alloc(11)
        payload.writeBigUInt64BE(process.hrtime.bigint(), 0)
        batch.push(p.publishAsync(topic, payload, { qos: QOS }))
      }
      await Promise.all(batch)
    }
  }))
  let timer: NodeJS.Timeout | undefined
  await Promise.race([done, new Promise<void>(resolve => { timer = setTimeout(resolve, TIMEOUT_MS) })])
  clearTimeout(timer)
  if (onMessage !== undefined) sub.off('message', onMessage)
  if (end === 0n) end = process.hrtime.bigint()
  const got = Math.min(received, n)
  const sorted = Array.from(latencies.subarray(0, got)).sort((a, b) => a - b)
  const pct = (p: number): number => Math.round((sorted[Math.min(got - 1, Math.floor(got * p))] ?? Number.NaN) * 100) / 100
  const seconds = Number(end - start) / 1e9
  return { received: got, seconds: Math.round(seconds * 1000) / 1000, msgsPerS: Math.round(got / seconds), p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1) }
}

async function main (): Promise<void> {
  const sub = await mqtt.connectAsync(URL_, { clientId: `bench-sub-${QOS}-${process.pid}`, clean: true, reconnectPeriod: 0 })
  await sub.subscribeAsync('bench/#', { qos: QOS })
  const pubs: MqttClient[] = []
  for (let i = 0; i < PUBLISHERS; i++) pubs.push(await mqtt.connectAsync(URL_, { clientId: `bench-pub-${QOS}-${i}-${process.pid}`, reconnectPeriod: 0 }))
  if (WARMUP > 0) await round(sub, pubs, WARMUP, 'bench/warm')
  const r = await round(sub, pubs, MESSAGES, 'bench/run')
  const result: LoadResult = { qos: QOS, messages: MESSAGES, ...r }
  process.stdout.write(JSON.stringify(result) + '\n')
  for (const p of pubs) p.end(true)
  sub.end(true)
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`load generator failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
