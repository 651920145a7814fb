import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Station } from '../../core/types.js'
import { freePort, sleep } from '../lib/net.js'
import { cpuSeconds, rssMB, start, stop, waitLine, type Proc } from './procs.js'

/**
 * What the storm bench stops and starts again: the all-in-one (`mimamori start`), or the cluster
 * (2 × `mimamori broker` on Redis persistence + 1 × `mimamori ingest` worker reading the brokers'
 * Redis stream + redis-server on a loopback port), all on one data directory, so every broker
 * reads the same device registry and the worker writes the same `readings`.
 */
export interface Target {
  /** the MQTT ports the client processes spread over */
  ports: number[]
  dbFile: string
  /** the processes whose CPU and memory are the platform's (the ones that restart, and the ones that do not) */
  procs(): Proc[]
  /** CPU-seconds of every platform process so far (redis-server included in the cluster) */
  cpu(): number
  rss(): Record<string, number>
  /** the processes that restart in the storm: stopped (SIGTERM, as after an update), started again at once; resolves at the spawn */
  restart(cpuProfDir?: string): Promise<number>
  running(timeoutMs: number): Promise<void>
  close(): Promise<void>
}

const pidCpu = (pid: number | undefined): number => { try { return pid === undefined ? 0 : cpuSeconds(pid) } catch { return 0 } }

export async function allInOneTarget ({ dir, cli, gauges, stations }: { dir: string, cli: string, gauges: number, stations: Station[] }): Promise<Target> {
  const port = await freePort()
  const cfg = join(dir, 'platform.json')
  writeFileSync(cfg, JSON.stringify({
    dataDir: join(dir, 'data'), log: { level: 'warn' },
    broker: { port, wsPort: 0, allowAnonymous: false, limits: { maxConnections: gauges + 1000 } },
    dashboard: { port: 0 }, sim: { enabled: false }, stations, cameras: [], hunters: []
  }))
  let platform = start('platform', cli, ['start', '--config', cfg])
  await waitLine(platform, /mimamori is running/, 120_000)
  // the CPU of processes that ended (the platform before the restart) stays counted
  let ended = 0
  return {
    ports: [port],
    dbFile: join(dir, 'data', 'mimamori.db'),
    procs: () => [platform],
    cpu: () => ended + pidCpu(platform.child.pid),
    rss: () => ({ platform: rssMB(platform.child.pid!) }),
    async restart (cpuProf) {
      ended += pidCpu(platform.child.pid)
      await stop(platform)
      // --cpu-prof DIR: the restarted platform writes a V8 CPU profile there when it stops
      platform = start('platform', cli, ['start', '--config', cfg], 400, cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`])
      return Date.now()
    },
    running: async ms => { await waitLine(platform, /mimamori is running/, ms) },
    close: async () => { await stop(platform) }
  }
}

export async function clusterTarget ({ dir, cli, gauges, stations, brokers }: { dir: string, cli: string, gauges: number, stations: Station[], brokers: number }): Promise<Target> {
  const redisPort = await freePort()
  const redis: ChildProcess = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '1000'], { stdio: 'ignore' })
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  await sleep(500)
  const ports: number[] = []
  for (let i = 0; i < brokers; i++) ports.push(await freePort())
  const dataDir = join(dir, 'data')
  const brokerCfg = (i: number): string => {
    const f = join(dir, `broker${i}.json`)
    writeFileSync(f, JSON.stringify({
      dataDir, log: { level: 'info' },
      broker: { id: `storm-b${i}`, port: ports[i], wsPort: 0, allowAnonymous: false, limits: { maxConnections: gauges + 1000 }, persistence: { backend: 'redis' }, cluster: { redisUrl } },
      stations
    }))
    return f
  }
  const ingestCfg = join(dir, 'ingest.json')
  writeFileSync(ingestCfg, JSON.stringify({ dataDir, log: { level: 'info' }, broker: { cluster: { redisUrl } }, stations, cameras: [], hunters: [] }))
  const startBroker = (i: number, node: string[] = []): Proc => start(`broker${i}`, cli, ['broker', '--config', brokerCfg(i)], 400, node)
  let procs = ports.map((_, i) => startBroker(i))
  await Promise.all(procs.map(async b => { await waitLine(b, /MQTT broker listening/, 120_000) }))
  const ingest = start('ingest', cli, ['ingest', '--config', ingestCfg])
  await waitLine(ingest, /river rules started/, 120_000)
  let ended = 0
  return {
    ports,
    dbFile: join(dataDir, 'mimamori.db'),
    procs: () => [...procs, ingest],
    cpu: () => ended + [...procs, ingest].reduce((s, p) => s + pidCpu(p.child.pid), 0) + pidCpu(redis.pid),
    rss: () => Object.fromEntries([...procs.map(p => [p.name, rssMB(p.child.pid!)]), ['ingest', rssMB(ingest.child.pid!)], ['redis', rssMB(redis.pid!)]]),
    async restart (cpuProf) {
      ended += procs.reduce((s, p) => s + pidCpu(p.child.pid), 0)
      await Promise.all(procs.map(async p => { await stop(p) }))
      procs = ports.map((_, i) => startBroker(i, cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`]))
      return Date.now()
    },
    running: async ms => { await Promise.all(procs.map(async b => { await waitLine(b, /MQTT broker listening/, ms) })) },
    async close () {
      for (const p of [...procs, ingest]) await stop(p)
      redis.kill('SIGTERM')
    }
  }
}
