/**
 * bench/broker: our broker (Aedes + mimamori auth/ACL/limits) against Debian's
 * Mosquitto, same machine, same run, same load generator.
 *
 *   npm run build && node dist/bench/broker/run.js [--messages 40000] [--publishers 100] [--connections 10000]
 *
 * 1. fan-in throughput and latency, QoS 0 and QoS 1: many publishers → one
 *    subscriber on `bench/#` (the shape of our ingest); msgs/s from first send to
 *    last receipt, latency = receive time − send time stamped in the payload.
 * 2. connections held vs broker RSS: N idle MQTT connections (raw CONNECT with
 *    keep-alive 0, so the generator stays light), then VmRSS of the broker process.
 * Both brokers run as separate processes; the load generator is this process.
 * Prints a JSON summary and a table with ratios (ours / Mosquitto).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '40000' },
    publishers: { type: 'string', default: '100' },
    connections: { type: 'string', default: '10000' },
    persistence: { type: 'string', default: 'memory' }
  }
})
const MESSAGES = Number(values.messages)
const PUBLISHERS = Number(values.publishers)
const CONNECTIONS = Number(values.connections)

interface Server { name: string, port: number, pid: number, stop(): Promise<void> }

async function freePort (): Promise<number> {
  return await new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => { resolve(typeof a === 'object' && a !== null ? a.port : 0) })
    })
  })
}

async function waitPort (port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = netConnect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
    })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`nothing listening on ${port}`)
}

function stopper (child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
}

async function startOurs (): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mimamori-'))
  const port = await freePort()
  const cli = join(import.meta.dirname, '..', '..', 'cli', 'main.js')
  const child = spawn(process.execPath, [cli, 'broker'], {
    stdio: 'ignore',
    env: {
      ...process.env,
      MIMAMORI_DATA_DIR: dir,
      MIMAMORI_LOG__LEVEL: 'warn',
      MIMAMORI_BROKER__PORT: String(port),
      MIMAMORI_BROKER__WS_PORT: '0',
      MIMAMORI_BROKER__ALLOW_ANONYMOUS: 'true',
      MIMAMORI_BROKER__PERSISTENCE__BACKEND: values.persistence,
      MIMAMORI_BROKER__LIMITS__MAX_CONNECTIONS: String(CONNECTIONS + 1000),
      MIMAMORI_BROKER__LIMITS__OTHER_PAYLOAD_BYTES: '65536'
    }
  })
  await waitPort(port)
  return { name: `mimamori (aedes, ${values.persistence})`, port, pid: child.pid!, stop: stopper(child, dir) }
}

async function startMosquitto (): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'))
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 1000000', 'max_inflight_messages 100', ''].join('\n'))
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' })
  await waitPort(port)
  return { name: 'mosquitto', port, pid: child.pid!, stop: stopper(child, dir) }
}

function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? Number.NaN : Math.round(Number(m[1]) / 1024)
}

interface FanIn { qos: 0 | 1, msgsPerS: number, p50Ms: number, p99Ms: number, received: number }

async function fanIn (server: Server, qos: 0 | 1): Promise<FanIn> {
  const url = `mqtt://127.0.0.1:${server.port}`
  const sub = await mqtt.connectAsync(url, { clientId: `bench-sub-${qos}`, clean: true, reconnectPeriod: 0 })
  await sub.subscribeAsync('bench/#', { qos })
  const pubs: MqttClient[] = []
  for (let i = 0; i < PUBLISHERS; i++) pubs.push(await mqtt.connectAsync(url, { clientId: `bench-pub-${qos}-${i}`, reconnectPeriod: 0 }))
  const latencies = new Float64Array(MESSAGES)
  let received = 0
  let start = 0n
  let end = 0n
  const done = new Promise<void>(resolve => {
    sub.on('message', (_t, payload) => {
      const now = process.hrtime.bigint()
      if (received < MESSAGES) latencies[received] = Number(now - payload.readBigUInt64BE(0)) / 1e6
      received++
      if (received === MESSAGES) { end = now; resolve() }
    })
  })
  const perPublisher = Math.ceil(MESSAGES / PUBLISHERS)
  const window = qos === 0 ? 50 : 20
  start = process.hrtime.bigint()
  await Promise.all(pubs.map(async (p, i) => {
    let sent = 0
    const topic = `bench/dev-${i}/up`
    while (sent < perPublisher && i * perPublisher + sent < MESSAGES) {
      const batch: Array<Promise<unknown>> = []
      for (let k = 0; k < window && sent < perPublisher && i * perPublisher + sent < MESSAGES; k++, sent++) {
        const payload = Buffer.alloc(11)
        payload.writeBigUInt64BE(process.hrtime.bigint(), 0)
        batch.push(p.publishAsync(topic, payload, { qos }))
      }
      await Promise.all(batch)
    }
  }))
  const timeout = new Promise<void>(resolve => setTimeout(resolve, 60_000))
  await Promise.race([done, timeout])
  if (end === 0n) end = process.hrtime.bigint()
  const n = Math.min(received, MESSAGES)
  const sorted = Array.from(latencies.subarray(0, n)).sort((a, b) => a - b)
  const pct = (p: number): number => Math.round((sorted[Math.min(n - 1, Math.floor(n * p))] ?? Number.NaN) * 100) / 100
  for (const p of pubs) p.end(true)
  sub.end(true)
  return { qos, msgsPerS: Math.round(n / (Number(end - start) / 1e9)), p50Ms: pct(0.5), p99Ms: pct(0.99), received: n }
}

/** N idle connections with minimal raw CONNECTs (keep-alive 0), then the broker's RSS. */
async function holdConnections (server: Server, n: number): Promise<{ connections: number, rssMb: number, baselineMb: number }> {
  const baselineMb = rssMb(server.pid)
  const sockets: Socket[] = []
  let acked = 0
  const connectPacket = (id: string): Buffer => {
    const cid = Buffer.from(id)
    const body = Buffer.concat([Buffer.from([0, 4, 77, 81, 84, 84, 4, 0x02, 0, 0, cid.length >> 8, cid.length & 0xff]), cid])
    return Buffer.concat([Buffer.from([0x10, body.length]), body])
  }
  const BATCH = 500
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, async (_, k) => {
      await new Promise<void>(resolve => {
        const s = netConnect(server.port, '127.0.0.1', () => { s.write(connectPacket(`hold-${i + k}`)) })
        s.once('data', (d: Buffer) => { if (d[0] === 0x20 && d[3] === 0) acked++; resolve() })
        s.once('error', () => { resolve() })
        s.once('close', () => { resolve() })
        sockets.push(s)
      })
    }))
  }
  await new Promise(resolve => setTimeout(resolve, 2000))
  const rss = rssMb(server.pid)
  for (const s of sockets) s.destroy()
  await new Promise(resolve => setTimeout(resolve, 1000))
  return { connections: acked, rssMb: rss, baselineMb }
}

async function main (): Promise<void> {
  const results: Record<string, { qos0: FanIn, qos1: FanIn, hold: Awaited<ReturnType<typeof holdConnections>> }> = {}
  for (const start of [startOurs, startMosquitto]) {
    const server = await start()
    try {
      const qos0 = await fanIn(server, 0)
      const qos1 = await fanIn(server, 1)
      const hold = await holdConnections(server, CONNECTIONS)
      results[server.name] = { qos0, qos1, hold }
      process.stderr.write(`${server.name}: ${JSON.stringify(results[server.name])}\n`)
    } finally {
      await server.stop()
    }
  }
  const [oursName, mosqName] = Object.keys(results) as [string, string]
  const ours = results[oursName]!
  const mosq = results[mosqName]!
  const ratio = (a: number, b: number): number => Math.round(a / b * 100) / 100
  const summary = {
    setup: { messages: MESSAGES, publishers: PUBLISHERS, connections: CONNECTIONS, payloadBytes: 11, cpus: (await import('node:os')).cpus().length },
    results,
    ratios: {
      qos0Throughput: ratio(ours.qos0.msgsPerS, mosq.qos0.msgsPerS),
      qos1Throughput: ratio(ours.qos1.msgsPerS, mosq.qos1.msgsPerS),
      qos0P99: ratio(ours.qos0.p99Ms, mosq.qos0.p99Ms),
      qos1P99: ratio(ours.qos1.p99Ms, mosq.qos1.p99Ms)
    }
  }
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
  const row = (name: string, r: typeof ours): string =>
    `| ${name} | ${r.qos0.msgsPerS} | ${r.qos0.p99Ms} | ${r.qos1.msgsPerS} | ${r.qos1.p99Ms} | ${r.hold.connections} | ${r.hold.rssMb} |`
  process.stdout.write([
    '',
    '| broker | QoS0 msg/s | QoS0 p99 ms | QoS1 msg/s | QoS1 p99 ms | connections | RSS MB |',
    '|---|---|---|---|---|---|---|',
    row(oursName, ours),
    row(mosqName, mosq),
    `| ratio ours/mosquitto | ${summary.ratios.qos0Throughput}× | ${summary.ratios.qos0P99}× | ${summary.ratios.qos1Throughput}× | ${summary.ratios.qos1P99}× | | |`,
    ''
  ].join('\n'))
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
