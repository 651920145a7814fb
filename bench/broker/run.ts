/**
 * bench/broker: our broker (`mimamori broker`: Aedes + mimamori auth/ACL/limits)
 * against Debian's Mosquitto, same machine, same run, same load generator.
 *
 *   npm run build && node dist/bench/broker/run.js [--messages 40000] [--publishers 100]
 *     [--warmup 5000] [--runs 3] [--connections 10000] [--level true] [--pin true]
 *
 * 1. fan-in throughput and latency, QoS 0 and QoS 1: many publishers → one
 *    subscriber on `bench/#` (the shape of our ingest). The load generator is its
 *    own process (bench/broker/load.ts); broker and generator are pinned to
 *    different CPUs with taskset when there are at least two. Every round starts a
 *    fresh broker, warms it up with --warmup messages over the same connections,
 *    then measures --messages from first send to last receipt. --runs rounds per
 *    case; the median round (by msg/s) is reported.
 * 2. our broker with the default on-disk persistence (level) for QoS 1, reported
 *    separately (Mosquitto runs with persistence off in every case: its
 *    persistence is a periodic snapshot, not a per-message write).
 * 3. connections held vs RSS: a fresh broker, N idle MQTT connections (raw CONNECT,
 *    keep-alive 0, so the generator stays light), then VmRSS of the broker process.
 * Prints a JSON summary and a table with ratios (ours / Mosquitto).
 * BENCH_PROFILE_DIR=dir writes a V8 CPU profile of each of our broker processes there.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LoadResult } from './load.js'
import { benchArgs, brokerLoadDefaults, canPin, pinnedCommand } from '../lib/args.js'
import { freePort, waitPort } from '../lib/net.js'

const values = benchArgs({ ...brokerLoadDefaults, runs: '3', connections: '10000', level: 'true', only: '' })
const MESSAGES = Number(values.messages)
const PUBLISHERS = Number(values.publishers)
const WARMUP = Number(values.warmup)
const RUNS = Math.max(1, Number(values.runs))
const CONNECTIONS = Number(values.connections)
const PIN = canPin(values.pin !== 'false')
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? ''

interface Server { name: string, port: number, pid: number, stop(): Promise<void> }

/** command → [file, args], pinned to one CPU when pinning is on */
function pinned (cpu: number, file: string, args: string[]): [string, string[]] {
  return pinnedCommand(PIN, cpu, file, args)
}

function stopper (child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

type Backend = 'memory' | 'level'

async function startOurs (backend: Backend): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mimamori-'))
  const port = await freePort()
  const cli = join(import.meta.dirname, '..', '..', 'cli', 'main.js')
  // BENCH_BROKER_NODE_ARGS: V8 flags for our broker only (A/B of GC settings), space-separated
  const extra = (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
  const nodeArgs = [...extra, ...(PROFILE_DIR === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR])]
  const [file, args] = pinned(0, process.execPath, [...nodeArgs, cli, 'broker'])
  const child = spawn(file, args, {
    stdio: 'ignore',
    env: {
      ...process.env,
      MIMAMORI_DATA_DIR: dir,
      MIMAMORI_LOG__LEVEL: 'warn',
      MIMAMORI_BROKER__PORT: String(port),
      MIMAMORI_BROKER__WS_PORT: '0',
      MIMAMORI_BROKER__ALLOW_ANONYMOUS: 'true',
      MIMAMORI_BROKER__PERSISTENCE__BACKEND: backend,
      MIMAMORI_BROKER__LIMITS__MAX_CONNECTIONS: String(CONNECTIONS + 1000)
    }
  })
  await waitPort(port)
  // the PID that owns the sockets (taskset execs node in place)
  return { name: `mimamori (${backend})`, port, pid: child.pid!, stop: stopper(child, dir) }
}

async function startMosquitto (): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'))
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 1000000', 'max_inflight_messages 0', ''].join('\n'))
  const [file, args] = pinned(0, 'mosquitto', ['-c', conf])
  const child = spawn(file, args, { stdio: 'ignore' })
  await waitPort(port)
  return { name: 'mosquitto', port, pid: child.pid!, stop: stopper(child, dir) }
}

/** one round: a fresh broker, the load generator in its own process */
async function load (start: () => Promise<Server>, qos: 0 | 1): Promise<LoadResult> {
  const server = await start()
  try {
    const script = join(import.meta.dirname, 'load.js')
    const [file, args] = pinned(1, process.execPath, [script, '--url', `mqtt://127.0.0.1:${server.port}`, '--qos', String(qos),
      '--messages', String(MESSAGES), '--publishers', String(PUBLISHERS), '--warmup', String(WARMUP)])
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
    if (code !== 0) throw new Error(`load generator exited with ${code}`)
    return JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult
  } finally {
    await server.stop()
  }
}

/** --runs rounds; the median by msg/s */
async function measure (start: () => Promise<Server>, qos: 0 | 1, label: string): Promise<LoadResult & { runs: number[] }> {
  const rounds: LoadResult[] = []
  for (let i = 0; i < RUNS; i++) {
    const r = await load(start, qos)
    process.stderr.write(`${label} QoS ${qos} round ${i + 1}: ${JSON.stringify(r)}\n`)
    rounds.push(r)
  }
  const sorted = [...rounds].sort((a, b) => a.msgsPerS - b.msgsPerS)
  return { ...sorted[Math.floor(sorted.length / 2)]!, runs: rounds.map(r => r.msgsPerS) }
}

function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? Number.NaN : Math.round(Number(m[1]) / 1024)
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

async function hold (start: () => Promise<Server>): Promise<{ connections: number, rssMb: number, baselineMb: number }> {
  const server = await start()
  try {
    await new Promise(resolve => setTimeout(resolve, 1000))
    return await holdConnections(server, CONNECTIONS)
  } finally {
    await server.stop()
  }
}

type Row = { qos0?: LoadResult, qos1?: LoadResult, hold?: Awaited<ReturnType<typeof hold>> }

async function main (): Promise<void> {
  const only = values.only
  const ours: Row = {}
  const mosq: Row = {}
  let oursLevel: LoadResult | undefined
  const memory = async (): Promise<Server> => await startOurs('memory')
  for (const qos of [0, 1] as const) {
    if (only !== 'mosquitto') ours[qos === 0 ? 'qos0' : 'qos1'] = await measure(memory, qos, 'mimamori (memory)')
    if (only !== 'ours') mosq[qos === 0 ? 'qos0' : 'qos1'] = await measure(startMosquitto, qos, 'mosquitto')
  }
  if (values.level !== 'false' && only !== 'mosquitto') oursLevel = await measure(async () => await startOurs('level'), 1, 'mimamori (level)')
  if (CONNECTIONS > 0) {
    if (only !== 'mosquitto') ours.hold = await hold(memory)
    if (only !== 'ours') mosq.hold = await hold(startMosquitto)
  }
  const ratio = (a: number | undefined, b: number | undefined): number | null =>
    a === undefined || b === undefined ? null : Math.round(a / b * 100) / 100
  const summary = {
    setup: {
      messages: MESSAGES, warmup: WARMUP, runs: RUNS, publishers: PUBLISHERS, connections: CONNECTIONS, payloadBytes: 11,
      cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', pinned: PIN, node: process.version
    },
    results: { 'mimamori (memory)': ours, 'mimamori (level)': oursLevel === undefined ? undefined : { qos1: oursLevel }, mosquitto: mosq },
    ratios: {
      qos0Throughput: ratio(ours.qos0?.msgsPerS, mosq.qos0?.msgsPerS),
      qos1Throughput: ratio(ours.qos1?.msgsPerS, mosq.qos1?.msgsPerS),
      qos1LevelThroughput: ratio(oursLevel?.msgsPerS, mosq.qos1?.msgsPerS),
      qos0P99: ratio(ours.qos0?.p99Ms, mosq.qos0?.p99Ms),
      qos1P99: ratio(ours.qos1?.p99Ms, mosq.qos1?.p99Ms),
      qos1LevelP99: ratio(oursLevel?.p99Ms, mosq.qos1?.p99Ms),
      rss: ratio(ours.hold?.rssMb, mosq.hold?.rssMb)
    }
  }
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
  const cell = (v: number | undefined): string => v === undefined ? '–' : String(v)
  const row = (name: string, r: Row): string =>
    `| ${name} | ${cell(r.qos0?.msgsPerS)} | ${cell(r.qos0?.p99Ms)} | ${cell(r.qos1?.msgsPerS)} | ${cell(r.qos1?.p99Ms)} | ${cell(r.hold?.connections)} | ${cell(r.hold?.rssMb)} (idle ${cell(r.hold?.baselineMb)}) |`
  const x = (v: number | null): string => v === null ? '–' : `${v}×`
  process.stdout.write([
    '',
    '| broker | QoS0 msg/s | QoS0 p99 ms | QoS1 msg/s | QoS1 p99 ms | connections | RSS MB |',
    '|---|---|---|---|---|---|---|',
    row('mimamori (memory)', ours),
    ...(oursLevel === undefined ? [] : [row('mimamori (level, QoS 1 only)', { qos1: oursLevel })]),
    row('mosquitto', mosq),
    `| ratio ours/mosquitto (memory) | ${x(summary.ratios.qos0Throughput)} | ${x(summary.ratios.qos0P99)} | ${x(summary.ratios.qos1Throughput)} | ${x(summary.ratios.qos1P99)} | | ${x(summary.ratios.rss)} |`,
    ...(oursLevel === undefined ? [] : [`| ratio ours/mosquitto (level) | | | ${x(summary.ratios.qos1LevelThroughput)} | ${x(summary.ratios.qos1LevelP99)} | | |`]),
    ''
  ].join('\n'))
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
