/**
 * Reconnect-storm bench (bench/README.md § bench/storm): N authenticated gauges, each its own
 * account and secret in the registry, connected to the all-in-one (`mimamori start`, anonymous
 * off); the all-in-one is stopped and started again at once, and the bench measures the time until
 * every gauge is connected again (from the new process's spawn: startup included), CONNECTs
 * accepted per second (N / that time, and the best one-second rate), the platform's CPU, and whether
 * any frame the broker PUBACKed is missing from the store. The rate is reported three ways: over
 * the whole storm from the spawn, over the window from the restarted broker's listen to the last
 * CONNACK (the broker's capacity), and the start (spawn → listen) on its own line.
 *
 *   node dist/bench/storm/run.js [--gauges 10000] [--procs 2] [--tree DIR] [--cpu-prof DIR] [--brokers 2]
 *
 * --brokers B: the cluster instead of the all-in-one (bench/storm/targets.ts): B `mimamori broker`
 * processes on Redis persistence, one `mimamori ingest` worker, redis-server on a loopback port;
 * client process p dials broker p mod B; the storm restarts every broker at once.
 *
 * --tree: the checkout whose built CLI and registry are measured (default: this one), so a
 * before/after pair runs the same bench code: `--tree /tmp/before-23`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { packageRoot } from '../../core/paths.js'
import { syntheticFleet } from '../../simulators/synthetic.js'
import { sleep } from '../lib/net.js'
import { cpuSeconds, start, stop, type Proc } from './procs.js'
import { allInOneTarget, clusterTarget, type Target } from './targets.js'

const { values } = parseArgs({ options: { gauges: { type: 'string', default: '10000' }, procs: { type: 'string', default: '2' }, tree: { type: 'string' }, timeout: { type: 'string', default: '600' }, 'cpu-prof': { type: 'string' }, brokers: { type: 'string', default: '0' } } })
const N = Number(values.gauges)
const PROCS = Number(values.procs)
const BROKERS = Number(values.brokers)
const TREE = values.tree ?? packageRoot()
const CLI = join(TREE, 'dist', 'cli', 'main.js')
const TIMEOUT_MS = Number(values.timeout) * 1000
const log = (s: string): void => { process.stderr.write(`[storm] ${s}\n`) }

interface ClientStats { connected: number, connacks: number, refused: number, errors: number, acked: number, lastConnackAt: number }
function clientStats (clients: Proc[]): ClientStats {
  const sum: ClientStats = { connected: 0, connacks: 0, refused: 0, errors: 0, acked: 0, lastConnackAt: 0 }
  for (const c of clients) {
    const line = c.out.findLast(l => l.startsWith('{'))
    if (line === undefined) continue
    const s = JSON.parse(line) as ClientStats
    for (const k of ['connected', 'connacks', 'refused', 'errors', 'acked'] as const) sum[k] += s[k]
    // the client processes' own clock (same machine): the newest CONNACK any of them saw
    sum.lastConnackAt = Math.max(sum.lastConnackAt, s.lastConnackAt)
  }
  return sum
}

/**
 * When the restarted broker's socket listens: a TCP connect every 5 ms until one is accepted (the
 * kernel completes the handshake from listen() on, before the loop accepts it). The probe sends no
 * CONNECT and goes at once.
 */
async function listenedAt (port: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const at = await new Promise<number>(resolve => {
      const s = netConnect(port, '127.0.0.1', () => { s.destroy(); resolve(Date.now()) })
      s.once('error', () => { resolve(0) })
    })
    if (at > 0) return at
    if (Date.now() > deadline) return 0
    await sleep(5)
  }
}

/** until every gauge is connected: seconds, the best one-second CONNACK rate, the CONNACKs of each second (a tail shows), the last CONNACK's time */
async function allConnected (clients: Proc[], since: number, watch: Proc[]): Promise<{ seconds: number, peakPerS: number, connacks: number, lastConnackAt: number, perSecond: number[] }> {
  const startConnacks = clientStats(clients).connacks
  let last = startConnacks
  let lastAt = Date.now()
  let peak = 0
  const perSecond: number[] = []
  for (;;) {
    await sleep(250)
    const s = clientStats(clients)
    const now = Date.now()
    if (now - lastAt >= 1000) {
      peak = Math.max(peak, (s.connacks - last) / ((now - lastAt) / 1000))
      perSecond.push(s.connacks - last)
      last = s.connacks
      lastAt = now
    }
    for (const w of watch) if (w.child.exitCode !== null) throw new Error(`${w.name} exited during the storm: ${w.out.slice(-8).join('\n')}`)
    const out = { peakPerS: Math.round(peak), connacks: s.connacks - startConnacks, lastConnackAt: s.lastConnackAt, perSecond }
    if (s.connected >= N) return { seconds: (now - since) / 1000, ...out }
    if (now - since > TIMEOUT_MS) return { seconds: -1, ...out }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mimamori-storm-'))
const fleet = syntheticFleet({ gauges: N, cameras: 0, seed: 1 })
const result: Record<string, unknown> = { gauges: N, procs: PROCS, brokers: BROKERS === 0 ? 'all-in-one' : BROKERS, tree: TREE, node: process.version }
const target: Target = BROKERS === 0
  ? await allInOneTarget({ dir, cli: CLI, gauges: N, stations: fleet.stations })
  : await clusterTarget({ dir, cli: CLI, gauges: N, stations: fleet.stations, brokers: BROKERS })
const dbFile = target.dbFile
result.idleRssMB = target.rss()

// provisioning with the measured tree's own registry (its own hash form and cost)
const t0 = Date.now()
const { createDeviceRegistry } = await import(join(TREE, 'dist', 'broker', 'registry.js')) as typeof import('../../broker/registry.js')
const { silentLogger } = await import(join(TREE, 'dist', 'core', 'logger.js')) as typeof import('../../core/logger.js')
const registry = createDeviceRegistry({ file: dbFile, logger: silentLogger() })
const creds: Array<[string, string]> = []
// 8 at a time: an old (scrypt) tree hashes on the libuv pool
for (let i = 0; i < fleet.stations.length; i += 8) {
  const chunk = await Promise.all(fleet.stations.slice(i, i + 8).map(async s => [s.deviceId, (await registry.add({ id: s.deviceId, role: 'device', kind: 'gauge', stationId: s.id })).secret] as [string, string]))
  creds.push(...chunk)
}
registry.close()
result.provisionSeconds = (Date.now() - t0) / 1000
log(`provisioned ${N} accounts in ${String(result.provisionSeconds)} s`)

const clients: Proc[] = []
const per = Math.ceil(N / PROCS)
for (let p = 0; p < PROCS; p++) {
  const file = join(dir, `creds-${p}.json`)
  writeFileSync(file, JSON.stringify(creds.slice(p * per, (p + 1) * per)))
  // client process p dials broker p mod the number of brokers
  const port = target.ports[p % target.ports.length]!
  clients.push(start(`clients${p}`, join(packageRoot(), 'dist', 'bench', 'storm', 'clients.js'), ['--port', String(port), '--creds', file, '--acked-out', join(dir, `acked-${p}.json`)], 20))
}
/** the client processes' own CPU: they share the machine's cores with the platform (the offered load has a price here) */
const clientCpu = (): number => clients.reduce((sum, c) => sum + cpuSeconds(c.child.pid!), 0)
const c0 = Date.now()
let cpu0 = target.cpu()
let clientCpu0 = clientCpu()
const { lastConnackAt: _, perSecond: firstPerSecond, ...first } = await allConnected(clients, c0, target.procs())
result.firstConnect = { ...first, platformCpuS: Math.round((target.cpu() - cpu0) * 10) / 10, clientCpuS: Math.round((clientCpu() - clientCpu0) * 10) / 10, platformRssMB: target.rss() }
log(`first connect: ${JSON.stringify(result.firstConnect)}`)
log(`first connect CONNACKs per second: ${firstPerSecond.join(' ')}`)
await sleep(3000)

// the storm: stop (graceful, as a restart after an update), start again at once
const r0 = Date.now()
cpu0 = target.cpu()
clientCpu0 = clientCpu()
const spawnedAt = await target.restart(values['cpu-prof'])
const stoppedS = (spawnedAt - r0) / 1000
// from the new process's spawn: the all-in-one accepts devices before it prints that it is running
let runningAt = 0
void target.running(300_000).then(() => { runningAt = Date.now() }, () => undefined)
// every broker listening: the last of them
const listening = Promise.all(target.ports.map(async p => await listenedAt(p, 300_000))).then(at => at.includes(0) ? 0 : Math.max(...at))
const storm = await allConnected(clients, spawnedAt, target.procs())
const stormCpu = target.cpu() - cpu0
const listenAt = await listening
// the broker's capacity: from its listen to the last CONNACK (the platform's start before the listen on its own line)
const window = listenAt > 0 && storm.seconds > 0 ? (storm.lastConnackAt - listenAt) / 1000 : -1
result.storm = {
  stopSeconds: stoppedS,
  reconnectSeconds: storm.seconds,
  listenAfterSeconds: listenAt > 0 ? (listenAt - spawnedAt) / 1000 : 'never',
  listenToLastConnackSeconds: window,
  connacksPerSFromListen: window > 0 ? Math.round(storm.connacks / window) : 0,
  runningAfterSeconds: runningAt === 0 ? 'not yet' : (runningAt - spawnedAt) / 1000,
  connectsAcceptedPerS: storm.seconds > 0 ? Math.round(N / storm.seconds) : 0,
  peakConnacksPerS: storm.peakPerS,
  platformCpuS: Math.round(stormCpu * 10) / 10,
  platformCpuMsPerConnect: storm.connacks > 0 ? Math.round(stormCpu * 1000 / storm.connacks * 100) / 100 : -1,
  clientCpuS: Math.round((clientCpu() - clientCpu0) * 10) / 10,
  platformRssMB: target.rss()
}
log(`storm: ${JSON.stringify(result.storm)}`)
log(`storm CONNACKs per second from the spawn: ${storm.perSecond.join(' ')}`)
const st = result.storm as Record<string, unknown>
log(`storm total (spawn → all ${N} connected): ${String(st.reconnectSeconds)} s, ${String(st.connectsAcceptedPerS)} CONNACK/s averaged over it`)
log(`storm start (spawn → broker listening): ${String(st.listenAfterSeconds)} s; spawn → "running": ${String(st.runningAfterSeconds)} s`)
log(`storm broker (listen → last CONNACK): ${String(window)} s, ${String(st.connacksPerSFromListen)} CONNACK/s; peak ${String(st.peakConnacksPerS)}/s; ${String(st.platformCpuMsPerConnect)} ms platform CPU per CONNECT`)
await target.running(300_000)

// lost = per device, frames PUBACKed but not stored
function storedCount (): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try { return (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n } finally { db.close() }
}
await sleep(3000)
const totals = clientStats(clients)
for (const c of clients) await stop(c)
// the cluster's worker stores from the Redis stream after the PUBACK: give it time to catch up
for (let i = 0; i < 60 && storedCount() < totals.acked; i++) await sleep(1000)
await target.close()
const acked: Record<string, number> = {}
for (let p = 0; p < PROCS; p++) Object.assign(acked, JSON.parse(readFileSync(join(dir, `acked-${p}.json`), 'utf8')) as Record<string, number>)
const db = new Database(dbFile, { readonly: true, fileMustExist: true })
const rows = db.prepare('SELECT device_id AS d, COUNT(*) AS n FROM readings GROUP BY device_id').all() as Array<{ d: string, n: number }>
db.close()
const stored = new Map(rows.map(r => [r.d, r.n]))
const ackedTotal = Object.values(acked).reduce((a, b) => a + b, 0)
const lost = Object.entries(acked).reduce((l, [d, n]) => l + Math.max(0, n - (stored.get(d) ?? 0)), 0)
result.frames = { acked: ackedTotal, stored: rows.reduce((a, r) => a + r.n, 0), lostOfAcked: lost, refusedConnects: totals.refused, socketErrors: totals.errors }
rmSync(dir, { recursive: true, force: true })
process.stdout.write(JSON.stringify(result) + '\n')
