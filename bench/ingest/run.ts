/**
 * bench/ingest: end-to-end ingest throughput against a peer, in the same run.
 *
 *   npm run bench -- --only ingest
 *   node dist/bench/ingest/run.js --frames 200000 --devices 1000 --qos 1,0 --backends embedded,influxdb
 *
 * Each case starts a fresh platform and a load generator (bench/ingest/load.ts: D gauges,
 * each its own MQTT connection, F real frame-v1 uplinks) pinned to separate CPUs.
 * - ours: `mimamori start` (all-in-one, demo fleet and vision off) on the embedded store or
 *   with store.backend influxdb → VictoriaMetrics. Stored = rows in the readings table
 *   (embedded) or outbox rows the time-series DB acknowledged (influxdb), checked at the end
 *   against the DB itself.
 * - peer (when Node-RED is installed: BENCH_NODERED_DIR or /tmp/peers/nodered, see
 *   bench/README.md): Mosquitto (unlimited queue) → Node-RED flow (mqtt in QoS 1 → decode →
 *   join 1000 → HTTP /write) → VictoriaMetrics.
 * Figures per case: readings/s stored (first send → last stored), loss (acked − stored),
 * drain lag (last ack → last stored), DB staleness p50/p99 (outbox: committed → delivered),
 * CPU µs per stored reading of the platform's processes (not the generator, not the DB).
 * `--cli PATH` benchmarks another build (e.g. a checkout of an older commit) for before/after.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createServer } from 'node:net'
import Database from 'better-sqlite3'
import { benchStations } from './fleet.js'
import { peerFlow } from './nodered-flow.js'
import type { IngestLoadResult } from './load.js'
import { benchArgs, canPin, pinnedCommand } from '../lib/args.js'
import { freePort } from '../lib/net.js'

const values = benchArgs({
  frames: '200000', devices: '1000', qos: '1,0', backends: 'embedded,influxdb', peer: 'auto',
  cli: join(import.meta.dirname, '..', '..', 'cli', 'main.js'), label: 'mimamori', pin: 'true'
})
const FRAMES = Number(values.frames)
const DEVICES = Number(values.devices)
const TOTAL = Math.ceil(FRAMES / DEVICES) * DEVICES
/** --pin true | false | both: both runs every case unpinned, then pinned, and prints the ratios of each */
const PIN_MODES: boolean[] = (values.pin === 'both' ? [false, true] : [values.pin !== 'false'])
  .map(canPin)
let PIN = PIN_MODES[0]!
const VM_BIN = process.env.MIMAMORI_VM_BIN ?? '/usr/bin/victoria-metrics'
const NODERED_DIR = process.env.BENCH_NODERED_DIR ?? '/tmp/peers/nodered'
const NODERED = join(NODERED_DIR, 'node_modules', 'node-red', 'red.js')
const MEASUREMENT = 'river_level'
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? ''
/** extra V8/Node flags for our platform only (e.g. `--trace-gc`, `--max-semi-space-size=16`), space-separated */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
/** a case ends when the stored count has not grown for this long */
const STALL_S = 15

interface Proc { child: ChildProcess, pid: number, dir: string, out: () => string }
interface Case { name: string, qos: 0 | 1, start(): Promise<Platform> }
interface Platform {
  mqttPort: number
  pids: number[]
  /** readings durably stored so far */
  stored(): Promise<number>
  /** DB staleness quantiles in ms, where the platform keeps them */
  staleness(): { p50: number, p99: number } | null
  /** readings the time-series DB itself holds (final check) */
  verify(): Promise<number>
  /** the platform's last output, shown when a case ends with readings missing */
  log(): string
  stop(): Promise<void>
}

export interface IngestBenchRow {
  name: string
  qos: 0 | 1
  sent: number
  acked: number
  stored: number
  verified: number
  perS: number
  loss: number
  drainLagS: number
  stalenessP50Ms: number | null
  stalenessP99Ms: number | null
  cpuUsPerReading: number
}

function pinned (cpu: number, file: string, args: string[]): [string, string[]] {
  return pinnedCommand(PIN, cpu, file, args)
}

function spawnProc (cpu: number | null, file: string, args: string[], env: Record<string, string> = {}): Proc {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'))
  const [f, a] = cpu === null ? [file, args] : pinned(cpu, file, args)
  const child = spawn(f, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000) })
  child.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000) })
  // taskset execs the program in place: the PID is the program's
  return { child, pid: child.pid!, dir, out: () => out }
}

async function stopProc (p: Proc): Promise<void> {
  if (p.child.exitCode === null) {
    const exited = new Promise(resolve => p.child.once('exit', resolve))
    p.child.kill('SIGTERM')
    const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(t)
  }
  rmSync(p.dir, { recursive: true, force: true })
}

async function until (what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** user + system CPU seconds of a process, from /proc */
function cpuSeconds (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

async function startVm (): Promise<{ url: string, proc: Proc, count(metric: string): Promise<number> }> {
  if (!existsSync(VM_BIN)) throw new Error(`bench: ${VM_BIN} missing (apt-get install victoria-metrics)`)
  const port = await freePort()
  const proc = spawnProc(null, VM_BIN, [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${mkdtempSync(join(tmpdir(), 'bench-vm-'))}`, '-retentionPeriod=100y', '-loggerLevel=ERROR', '-search.latencyOffset=0s',
    // the load backfills past minutes: without this VictoriaMetrics answers a long instant query from its
    // rollup cache, and a count taken during the run hides points written later into the same range
    '-search.disableCache'])
  const url = `http://127.0.0.1:${port}`
  await until('victoria-metrics', async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true)
  return {
    url,
    proc,
    async count (metric) {
      await (await fetch(`${url}/internal/force_flush`)).arrayBuffer()
      const q = new URLSearchParams({ query: `sum(count_over_time(${metric}[60d]))` })
      const body = await (await fetch(`${url}/api/v1/query?${q.toString()}`)).json() as { data: { result: Array<{ value: [number, string] }> } }
      return Number(body.data.result[0]?.value[1] ?? 0)
    }
  }
}

function ours (backend: 'embedded' | 'influxdb', qos: 0 | 1): Case {
  return {
    name: `${values.label} ${backend === 'embedded' ? 'embedded SQLite' : 'influxdb → VictoriaMetrics'}`,
    qos,
    async start () {
      const vm = backend === 'influxdb' ? await startVm() : undefined
      const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-data-'))
      const mqttPort = await freePort()
      const file = join(dir, 'bench.json')
      writeFileSync(file, JSON.stringify({
        dataDir: dir,
        log: { level: 'warn' },
        broker: { port: mqttPort, wsPort: 0, allowAnonymous: true, limits: { maxConnections: DEVICES + 100 } },
        dashboard: { port: 0 },
        sim: { enabled: false },
        vision: { enabled: false },
        store: vm === undefined ? { backend } : { backend, influx: { url: vm.url, measurement: MEASUREMENT } },
        stations: benchStations(DEVICES),
        cameras: [],
        hunters: []
      }))
      // BENCH_PROFILE_DIR: a V8 CPU profile of the platform per case (bench/README.md, reading one)
      const prof = [...NODE_ARGS, ...(PROFILE_DIR === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`])]
      const proc = spawnProc(0, process.execPath, [...prof, resolve(values.cli), 'start', '--config', file], { MIMAMORI_LOG__PRETTY: 'false' })
      await until('platform start', () => proc.out().includes('mimamori is running') || proc.child.exitCode !== null, 120_000)
      if (proc.child.exitCode !== null) throw new Error(`bench: platform exited:\n${proc.out()}`)
      const db = new Database(join(dir, 'mimamori.db'), { readonly: true, fileMustExist: true })
      const countSql = backend === 'embedded' ? 'SELECT COUNT(*) AS n FROM readings' : 'SELECT COUNT(*) AS n FROM outbox WHERE state = 1'
      return {
        mqttPort,
        pids: [proc.pid],
        stored: async () => (db.prepare(countSql).get() as { n: number }).n,
        staleness () {
          if (backend === 'embedded') return null
          const lags = (db.prepare('SELECT delivered_at - enqueued_at AS ms FROM outbox WHERE state = 1 ORDER BY ms').all() as Array<{ ms: number }>).map(r => r.ms)
          return lags.length === 0 ? null : { p50: lags[Math.floor(lags.length * 0.5)]!, p99: lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]! }
        },
        verify: async () => vm === undefined ? (db.prepare(countSql).get() as { n: number }).n : await vm.count(`${MEASUREMENT}_level`),
        log: () => proc.out(),
        async stop () {
          db.close()
          await stopProc(proc)
          if (vm !== undefined) await stopProc(vm.proc)
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
  }
}

function peer (qos: 0 | 1): Case {
  return {
    name: 'peer: Mosquitto → Node-RED (join 1000) → VictoriaMetrics',
    qos,
    async start () {
      const vm = await startVm()
      const mqttPort = await freePort()
      const mdir = mkdtempSync(join(tmpdir(), 'bench-mosq-'))
      const conf = join(mdir, 'mosquitto.conf')
      // max_queued_messages 0: unlimited (the default 1000 drops under a burst: the 20 % loss)
      writeFileSync(conf, [`listener ${mqttPort} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 0', ''].join('\n'))
      const mosq = spawnProc(0, 'mosquitto', ['-c', conf])
      await until('mosquitto', async () => await new Promise<boolean>(res => {
        const s = createServer()
        s.once('error', () => { res(true) })
        s.listen(mqttPort, '127.0.0.1', () => { s.close(() => { res(false) }) })
      }))
      const userDir = mkdtempSync(join(tmpdir(), 'bench-nodered-'))
      writeFileSync(join(userDir, 'flows.json'), JSON.stringify(peerFlow({ mqttPort, writeUrl: `${vm.url}/write`, measurement: MEASUREMENT })))
      const uiPort = await freePort()
      const red = spawnProc(0, process.execPath, [NODERED, '--userDir', userDir, '--port', String(uiPort), 'flows.json'])
      await until('node-red flows', () => red.out().includes('Started flows') && red.out().includes('Connected to broker'), 120_000)
      return {
        mqttPort,
        pids: [mosq.pid, red.pid],
        stored: async () => await vm.count(`${MEASUREMENT}_level`),
        staleness: () => null,
        verify: async () => await vm.count(`${MEASUREMENT}_level`),
        log: () => red.out(),
        async stop () {
          await stopProc(red)
          await stopProc(mosq)
          await stopProc(vm.proc)
          rmSync(userDir, { recursive: true, force: true })
          rmSync(mdir, { recursive: true, force: true })
        }
      }
    }
  }
}

async function runCase (c: Case): Promise<IngestBenchRow> {
  const p = await c.start()
  try {
    const cpu0 = p.pids.reduce((s, pid) => s + cpuSeconds(pid), 0)
    const gen = spawnProc(1, process.execPath, [join(import.meta.dirname, 'load.js'), '--url', `mqtt://127.0.0.1:${p.mqttPort}`, '--devices', String(DEVICES), '--frames', String(FRAMES), '--qos', String(c.qos)])
    const genDone = new Promise<IngestLoadResult>((res, rej) => gen.child.once('exit', code => {
      const line = gen.out().trim().split('\n').reverse().find(l => l.startsWith('{'))
      if (code !== 0 || line === undefined) rej(new Error(`bench: load generator failed (${String(code)}):\n${gen.out()}`))
      else res(JSON.parse(line) as IngestLoadResult)
    }))
    // last time the stored count grew; done when it reaches everything sent, or stops growing for STALL_S
    let stored = 0
    let lastGrowth = Date.now()
    let lastStored = Date.now()
    let load: IngestLoadResult | undefined
    // a stall is counted from the end of the load at the earliest: nothing may be stored while it connects
    void genDone.then(r => { load = r; lastGrowth = Math.max(lastGrowth, Date.now()) }, () => {})
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, 250))
      const n = await p.stored()
      if (n > stored) { stored = n; lastGrowth = lastStored = Date.now() }
      if (gen.child.exitCode !== null && load === undefined) await genDone // surfaces a generator failure
      if (load !== undefined && (stored >= load.sent || Date.now() - lastGrowth > STALL_S * 1000)) break
    }
    const l = load!
    const cpu = p.pids.reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0
    // a database may make the last writes searchable a moment later: read until the count holds still
    let verified = await p.verify()
    for (let i = 0; i < 20 && verified < (c.qos === 1 ? l.acked : l.sent); i++) {
      await new Promise(resolve => setTimeout(resolve, 500))
      const again = await p.verify()
      if (again !== verified) process.stderr.write(`bench: ${c.name}: the database's count moved after the run, ${verified} → ${again}\n`)
      else if (i >= 3) break
      verified = again
    }
    const st = p.staleness()
    await stopProc(gen)
    if (verified < (c.qos === 1 ? l.acked : l.sent)) process.stderr.write(`bench: ${c.name} ended with readings missing; its last output:\n${p.log().slice(-3000)}\n`)
    const seconds = (lastStored - l.firstSend) / 1000
    return {
      name: c.name,
      qos: c.qos,
      sent: l.sent,
      acked: l.acked,
      stored,
      verified,
      perS: Math.round(stored / seconds),
      loss: Math.max(0, (c.qos === 1 ? l.acked : l.sent) - verified),
      drainLagS: Math.max(0, (lastStored - l.lastAck) / 1000),
      stalenessP50Ms: st?.p50 ?? null,
      stalenessP99Ms: st?.p99 ?? null,
      cpuUsPerReading: Math.round(cpu * 1e6 / Math.max(1, stored))
    }
  } finally {
    await p.stop()
  }
}

function line (r: IngestBenchRow): string {
  const stale = r.stalenessP50Ms === null ? '' : `, DB staleness p50 ${r.stalenessP50Ms} ms / p99 ${r.stalenessP99Ms ?? 0} ms`
  // a run that stopped growing before everything was stored: what is missing may still be queued (an outbox)
  const missing = r.loss === 0 ? 'loss 0' : `NOT STORED ${r.loss} of ${r.qos === 1 ? r.acked : r.sent} when the count stalled for ${STALL_S} s`
  return `${r.name}, QoS ${r.qos}: ${r.perS.toLocaleString('en')} readings/s, ${missing}, drain lag ${r.drainLagS.toFixed(1)} s${stale}, CPU ${r.cpuUsPerReading} µs/reading (${r.verified.toLocaleString('en')} in the DB)`
}

async function main (): Promise<void> {
  const qoses = values.qos.split(',').map(q => (q.trim() === '0' ? 0 : 1) as 0 | 1)
  const backends = values.backends.split(',').map(b => b.trim()).filter(b => b === 'embedded' || b === 'influxdb') as Array<'embedded' | 'influxdb'>
  const withPeer = values.peer === 'true' || (values.peer === 'auto' && existsSync(NODERED))
  const rows: Array<IngestBenchRow & { pinned: boolean }> = []
  for (const pin of PIN_MODES) {
    PIN = pin
    process.stdout.write(`bench/ingest: ${TOTAL.toLocaleString('en')} frames from ${DEVICES} gauges, pinned ${PIN ? 'platform CPU 0 / load CPU 1' : 'off (every process and thread of each system on any core; CPU summed over all of them)'}; peer ${withPeer ? 'Node-RED ' + NODERED_DIR : 'not installed (see bench/README.md)'}; load average ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
    for (const qos of qoses) {
      // interleaved: the peer runs between our cases, so drift in the machine hits both
      const cases = [...backends.map(b => ours(b, qos)), ...(withPeer ? [peer(qos)] : [])]
      const these: IngestBenchRow[] = []
      for (const c of cases) {
        const r = await runCase(c)
        these.push(r)
        rows.push({ ...r, pinned: pin })
        process.stdout.write(line(r) + '\n')
      }
      const peerRow = these.find(r => r.name.startsWith('peer'))
      if (peerRow !== undefined) {
        for (const r of these.filter(x => x !== peerRow)) {
          process.stdout.write(`  ratio ${pin ? 'pinned' : 'unpinned'} ${r.name} / peer, QoS ${qos}: ${(r.perS / peerRow.perS).toFixed(2)}× readings/s, ${(peerRow.cpuUsPerReading / r.cpuUsPerReading).toFixed(2)}× CPU efficiency\n`)
        }
      }
    }
    process.stdout.write(`  load average after: ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
  }
  process.stdout.write(JSON.stringify({ bench: 'ingest', frames: TOTAL, devices: DEVICES, rows }) + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
})
