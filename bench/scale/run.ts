/**
 * Scale bench (bench/README.md § bench/scale): how many simultaneously connected
 * gauges the all-in-one holds at a 10-minute cadence (RSS, CPU), and the reconnect
 * storm after a broker restart with every gauge's backlog (0 lost, time to drain);
 * then the same with 2 brokers + Redis + 1 ingest worker.
 *
 *   node dist/bench/scale/run.js [--gauges 5000] [--outage 30] [--window 30] [--only aio|cluster]
 *
 * Every part is a separate process started from the built CLI (`mimamori start`,
 * `broker`, `ingest`, `sim --gauges N`), so RSS and CPU are the platform's own.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { packageRoot } from '../../core/paths.js'
import { syntheticFleet } from '../../simulators/synthetic.js'
import { freePort, sleep } from '../lib/net.js'

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js')
const { values } = parseArgs({ options: { gauges: { type: 'string', default: '5000' }, outage: { type: 'string', default: '30' }, window: { type: 'string', default: '30' }, 'connect-rate': { type: 'string', default: '200' }, 'storm-interval': { type: 'string', default: '30' }, only: { type: 'string' } } })
const N = Number(values.gauges)
const OUTAGE_S = Number(values.outage)
const WINDOW_S = Number(values.window)
/** storm phase: wall seconds between a gauge's frames (each carries the next 10 minutes of data) */
const STORM_INTERVAL_S = Number(values['storm-interval'])
const log = (s: string): void => { process.stderr.write(`[scale] ${s}\n`) }

interface Proc { child: ChildProcess, out: string[], exited: Promise<number | null>, name: string }
function start (name: string, args: string[]): Proc {
  const child = spawn(process.execPath, ['--max-old-space-size=4096', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const out: string[] = []
  const take = (d: Buffer): void => { for (const l of d.toString().split('\n')) if (l !== '') out.push(l) }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  return { child, out, name, exited: new Promise(resolve => child.on('exit', resolve)) }
}
async function waitLine (p: Proc, re: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hit = [...p.out].reverse().find(l => re.test(l))
    if (hit !== undefined) return hit
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited: ${p.out.slice(-5).join('\n')}`)
    if (Date.now() > deadline) throw new Error(`${p.name}: no ${String(re)} within ${timeoutMs} ms; last: ${p.out.slice(-3).join(' | ')}`)
    await sleep(200)
  }
}
async function stop (p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return
  p.child.kill('SIGTERM')
  await Promise.race([p.exited, sleep(60_000)])
  if (p.child.exitCode === null) p.child.kill('SIGKILL')
}

/** VmRSS (MB) and CPU seconds used so far, from /proc */
function usage (pid: number): { rssMB: number, hwmMB: number, cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return { rssMB: Math.round(kb('VmRSS') / 1024), hwmMB: Math.round(kb('VmHWM') / 1024), cpuS: (Number(stat[11]) + Number(stat[12])) / 100 }
}

/** frames acknowledged to a gauge but not stored for its station (each frame has its own data time) */
function lostFrames (dbFile: string, ackedFile: string, backlog: boolean): number {
  const acked = JSON.parse(readFileSync(ackedFile, 'utf8')) as Record<string, number>
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try {
    // the backlog phase's frames carry data times from 40 days back; the steady phase's are current
    const cut = Date.now() - 86_400_000
    const rows = db.prepare(`SELECT device_id AS d, COUNT(*) AS n FROM readings WHERE time ${backlog ? '<' : '>='} ? GROUP BY device_id`).all(cut) as Array<{ d: string, n: number }>
    const stored = new Map(rows.map(r => [r.d, r.n]))
    return Object.entries(acked).reduce((lost, [device, n]) => lost + Math.max(0, n - (stored.get(device) ?? 0)), 0)
  } finally { db.close() }
}

function readingsStored (dbFile: string): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try { return (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n } finally { db.close() }
}

/** the sim's latest stats line */
function simStats (sim: Proc): { connected: number, sent: number, acked: number, failed: number } {
  const line = [...sim.out].reverse().find(l => l.startsWith('sim: ')) ?? ''
  const m = /sim: (\d+)\/\d+ connected, (\d+) frames sent, (\d+) acked, (\d+) failed/.exec(line)
  return m === null ? { connected: 0, sent: 0, acked: 0, failed: 0 } : { connected: Number(m[1]), sent: Number(m[2]), acked: Number(m[3]), failed: Number(m[4]) }
}

async function measure (procs: Proc[], seconds: number): Promise<Record<string, { rssMB: number, cpuPercent: number }>> {
  const before = procs.map(p => usage(p.child.pid!))
  const t0 = Date.now()
  await sleep(seconds * 1000)
  const wall = (Date.now() - t0) / 1000
  return Object.fromEntries(procs.map((p, i) => { const u = usage(p.child.pid!); return [p.name, { rssMB: u.rssMB, cpuPercent: Math.round((u.cpuS - before[i]!.cpuS) / wall * 1000) / 10 }] }))
}

/** restart → every gauge back and every frame sent before the restart stored */
async function storm (restart: () => Promise<number>, sim: Proc, dbFile: string, base: number): Promise<Record<string, number>> {
  const sentAtStop = simStats(sim).sent
  const connectedBefore = simStats(sim).connected
  const backAt = await restart()
  const sentBefore = simStats(sim).sent
  let reconnectedAt = 0
  let drainedAt = 0
  const deadline = Date.now() + 600_000
  while (Date.now() < deadline && (reconnectedAt === 0 || drainedAt === 0)) {
    await sleep(500)
    if (reconnectedAt === 0 && simStats(sim).connected >= connectedBefore) reconnectedAt = Date.now()
    if (drainedAt === 0 && readingsStored(dbFile) - base >= sentBefore) drainedAt = Date.now()
  }
  return { connectedBefore, backlogFrames: sentBefore - sentAtStop, sentBeforeRestart: sentBefore, reconnectSeconds: reconnectedAt === 0 ? -1 : (reconnectedAt - backAt) / 1000, drainSeconds: drainedAt === 0 ? -1 : (drainedAt - backAt) / 1000 }
}

/** stop the sim, then wait until what it got acked is stored: lost = sent − stored */
async function finish (sim: Proc, dbFile: string, base: number, ackedFile: string, backlog: boolean): Promise<Record<string, number>> {
  await stop(sim)
  const final = JSON.parse(sim.out.filter(l => l.startsWith('{')).pop() ?? '{}') as { sent?: number, acked?: number, failed?: number }
  let stored = 0
  for (let i = 0; i < 60; i++) {
    stored = readingsStored(dbFile) - base
    if (stored >= (final.acked ?? 0) && lostFrames(dbFile, ackedFile, backlog) === 0) break
    await sleep(1000)
  }
  // failed = not acknowledged when the simulation stopped (still queued in its clients) or never connected
  return { sent: final.sent ?? -1, acked: final.acked ?? -1, failed: final.failed ?? -1, stored, lostOfAcked: lostFrames(dbFile, ackedFile, backlog) }
}

const fleet = syntheticFleet({ gauges: N, cameras: 0, seed: 1 })
const result: Record<string, unknown> = { gauges: N, cadence: '10 min', outageSeconds: OUTAGE_S, windowSeconds: WINDOW_S, node: process.version }

async function allInOne (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-scale-aio-'))
  const port = await freePort()
  const cfg = join(dir, 'platform.json')
  writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), log: { level: 'warn' }, broker: { port, wsPort: 0, allowAnonymous: true, limits: { maxConnections: N + 1000 } }, dashboard: { port: 0 }, sim: { enabled: false }, stations: fleet.stations, cameras: [], hunters: [] }))
  const simCfg = join(dir, 'sim.json')
  writeFileSync(simCfg, JSON.stringify({ dataDir: join(dir, 'sim'), log: { level: 'error' } }))
  const dbFile = join(dir, 'data', 'mimamori.db')
  const ackedFile = join(dir, 'acked.json')
  let platform = start('platform', ['start', '--config', cfg])
  await waitLine(platform, /mimamori is running/, 120_000)
  const idle = usage(platform.child.pid!)
  const simArgs = (url: string, backlog: boolean): string[] => ['sim', '--gauges', String(N), '--seed', '1', '--connect-rate', values['connect-rate'], '--stats-every', '1s', '--mqtt-url', url, '--config', simCfg, '--acked-out', ackedFile,
    ...(backlog ? ['--interval', `${STORM_INTERVAL_S}s`, '--data-step', '10m'] : ['--interval', '10m'])]
  let sim = start('sim', simArgs(`mqtt://127.0.0.1:${port}`, false))
  const t0 = Date.now()
  const phase = await waitLine(sim, /sim: connect phase done/, 900_000)
  const connectSeconds = (Date.now() - t0) / 1000
  log(`all-in-one: ${phase} (${connectSeconds} s)`)
  const steady = await measure([platform, sim], WINDOW_S)
  log(`all-in-one steady: ${JSON.stringify(steady)}`)
  const steadyEnd = await finish(sim, dbFile, 0, ackedFile, false)
  const base = readingsStored(dbFile)
  // the storm: every gauge sends a frame of 10-minute data every STORM_INTERVAL s, so in the outage
  // each one keeps OUTAGE/STORM_INTERVAL frames (its backlog) and sends them when the broker is back
  sim = start('sim', simArgs(`mqtt://127.0.0.1:${port}`, true))
  await waitLine(sim, /sim: connect phase done/, 900_000)
  await sleep(STORM_INTERVAL_S * 1000 * 2)
  const storms = await storm(async () => {
    await stop(platform)
    log(`platform stopped; ${OUTAGE_S} s outage`)
    await sleep(OUTAGE_S * 1000)
    platform = start('platform', ['start', '--config', cfg])
    await waitLine(platform, /mimamori is running/, 120_000)
    return Date.now()
  }, sim, dbFile, base)
  const afterStorm = usage(platform.child.pid!)
  const end = await finish(sim, dbFile, base, ackedFile, true)
  await stop(platform)
  result.allInOne = { idleRssMB: idle.rssMB, connectSeconds, connected: phase, steady, steadyEnd, storm: { ...storms, platformPeakRssMB: afterStorm.hwmMB }, end }
  log(`all-in-one: ${JSON.stringify(result.allInOne)}`)
  rmSync(dir, { recursive: true, force: true })
}

async function cluster (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-scale-cluster-'))
  const redisPort = await freePort()
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  await sleep(500)
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  const ports = [await freePort(), await freePort()]
  const brokerCfg = (i: number): string => {
    const f = join(dir, `broker${i}.json`)
    writeFileSync(f, JSON.stringify({ dataDir: join(dir, `b${i}`), log: { level: 'info' }, broker: { id: `scale-b${i}`, port: ports[i], wsPort: 0, allowAnonymous: true, limits: { maxConnections: N + 1000 }, persistence: { backend: 'redis' }, cluster: { redisUrl } }, stations: fleet.stations }))
    return f
  }
  const ingestCfg = join(dir, 'ingest.json')
  writeFileSync(ingestCfg, JSON.stringify({ dataDir: join(dir, 'data'), log: { level: 'warn' }, broker: { cluster: { redisUrl } }, stations: fleet.stations, cameras: [], hunters: [] }))
  const simCfg = join(dir, 'sim.json')
  writeFileSync(simCfg, JSON.stringify({ dataDir: join(dir, 'sim'), log: { level: 'error' } }))
  const dbFile = join(dir, 'data', 'mimamori.db')
  const ackedFile = join(dir, 'acked.json')
  const brokers = [0, 1].map(i => start(`broker${i}`, ['broker', '--config', brokerCfg(i)]))
  await Promise.all(brokers.map(async b => await waitLine(b, /MQTT broker listening/, 60_000)))
  const ingest = start('ingest', ['ingest', '--config', ingestCfg])
  await sleep(3000)
  const urls = ports.map(p => `mqtt://127.0.0.1:${p}`).join(',')
  const simArgs = (backlog: boolean): string[] => ['sim', '--gauges', String(N), '--seed', '1', '--connect-rate', values['connect-rate'], '--stats-every', '1s', '--mqtt-url', urls, '--config', simCfg, '--acked-out', ackedFile,
    ...(backlog ? ['--interval', `${STORM_INTERVAL_S}s`, '--data-step', '10m'] : ['--interval', '10m'])]
  let sim = start('sim', simArgs(false))
  const t0 = Date.now()
  const phase = await waitLine(sim, /sim: connect phase done/, 900_000)
  const connectSeconds = (Date.now() - t0) / 1000
  log(`cluster: ${phase} (${connectSeconds} s)`)
  const steady = await measure([brokers[0]!, brokers[1]!, ingest, sim], WINDOW_S)
  log(`cluster steady: ${JSON.stringify(steady)}`)
  const steadyEnd = await finish(sim, dbFile, 0, ackedFile, false)
  const base = readingsStored(dbFile)
  sim = start('sim', simArgs(true))
  await waitLine(sim, /sim: connect phase done/, 900_000)
  await sleep(STORM_INTERVAL_S * 1000 * 2)
  const storms = await storm(async () => {
    await stop(brokers[0]!)
    log(`broker0 stopped; ${OUTAGE_S} s outage`)
    await sleep(OUTAGE_S * 1000)
    brokers[0] = start('broker0', ['broker', '--config', brokerCfg(0)])
    await waitLine(brokers[0], /MQTT broker listening/, 60_000)
    return Date.now()
  }, sim, dbFile, base)
  const end = await finish(sim, dbFile, base, ackedFile, true)
  for (const p of [...brokers, ingest]) await stop(p)
  redis.kill('SIGTERM')
  result.cluster = { connectSeconds, connected: phase, steady, steadyEnd, storm: storms, end }
  log(`cluster: ${JSON.stringify(result.cluster)}`)
  rmSync(dir, { recursive: true, force: true })
}

if (values.only !== 'cluster') await allInOne()
if (values.only !== 'aio') await cluster()
process.stdout.write(JSON.stringify(result, null, 2) + '\n')
