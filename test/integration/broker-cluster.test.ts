import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import Database from 'better-sqlite3'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { createBroker, type Broker } from '../../broker/index.js'
import { demoConfigFile, REPO_ROOT, waitFor } from '../helpers/app.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')
const MINUTE = 60_000

interface Worker { child: ChildProcess, out: () => string, exit: Promise<number | null> }

function startWorker (configFile: string): Worker {
  const child = spawn(process.execPath, [CLI, 'ingest', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MIMAMORI_LOG__PRETTY: 'false' } })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exit = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  return { child, out: () => out, exit }
}

/**
 * Scale-out on existing engines: 2 brokers sharing mqemitter-redis +
 * aedes-persistence-redis on a real redis-server, 2 ingest workers in one
 * Redis Streams consumer group; one worker is SIGKILLed mid-stream.
 */
describe('cluster: 2 brokers + 2 ingest workers on Redis', () => {
  let redis: TestRedis
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-cluster-'))
  let config: Config
  const brokers: Broker[] = []
  const workers: Worker[] = []
  const devices: MqttClient[] = []

  beforeAll(async () => {
    redis = await startRedis()
    // long enough that a live worker stalled by a loaded CI machine is not robbed of entries it is
    // still storing (that would be a legitimate second processing, not the takeover under test)
    const cluster = { redisUrl: redis.url, claimIdleMs: 3000 }
    const file = join(dataDir, 'cluster.json')
    const { stations } = loadConfig({ file: demoConfigFile() })
    writeFileSync(file, JSON.stringify({
      dataDir,
      log: { level: 'info' },
      broker: { allowAnonymous: true, persistence: { backend: 'redis' }, cluster },
      stations
    }))
    config = loadConfig({ file, overrides: { log: { level: 'silent' } } })
    for (const id of ['broker-a', 'broker-b']) {
      const b = createBroker({ config: { ...config, broker: { ...config.broker, id, port: 0, wsPort: 0 } }, logger: silentLogger() })
      await b.start()
      brokers.push(b)
    }
    workers.push(startWorker(file), startWorker(file))
    for (const w of workers) await waitFor(() => w.out().includes('ingest worker consuming') ? true : undefined, 'worker consuming', 30_000)
  })

  afterAll(async () => {
    for (const d of devices) d.end(true)
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await Promise.all(workers.map(async w => await w.exit))
    for (const b of brokers) await b.close()
    await redis?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('delivers a publish on one broker to a subscriber on the other', async () => {
    const sub = await mqtt.connectAsync(brokers[1]!.url, { clientId: 'x-sub', reconnectPeriod: 0 })
    const pub = await mqtt.connectAsync(brokers[0]!.url, { clientId: 'x-pub', reconnectPeriod: 0 })
    const got = new Promise<string>(resolve => sub.once('message', (_t, p) => { resolve(p.toString()) }))
    await sub.subscribeAsync('cluster/check', { qos: 1 })
    // the subscription reaches the other broker through Redis; publish until it lands
    const timer = setInterval(() => { pub.publish('cluster/check', 'across', { qos: 1 }) }, 200)
    try {
      expect(await got).toBe('across')
    } finally {
      clearInterval(timer)
      await sub.endAsync()
      await pub.endAsync()
    }
  })

  it('stores every reading exactly once when a worker is SIGKILLed holding unacknowledged entries', async () => {
    const PER_DEVICE = 40
    const CHUNK = 4
    const { stream, group } = config.broker.cluster
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - (PER_DEVICE + 5) * MINUTE
    const total = config.stations.length * PER_DEVICE
    // devices spread over both brokers, as behind a load balancer
    for (const [i, s] of config.stations.entries()) {
      devices.push(await mqtt.connectAsync(brokers[i % 2]!.url, { clientId: s.deviceId, reconnectPeriod: 0 }))
    }
    const frame = (k: number): Buffer => Buffer.from(encodeUplink({ mode: 'observe', levelM: 0.3 + k / 1000, batteryV: 3.6, temperatureC: 12, spreadMm: 2, validPings: 20, totalPings: 20, time: base + k * MINUTE }))
    /** stream payload → the reading it must become */
    const expected = new Map<string, { station: string, time: number }>()
    for (const s of config.stations) for (let k = 0; k < PER_DEVICE; k++) expected.set(`${s.deviceId}:${frame(k).toString('hex')}`, { station: s.id, time: base + k * MINUTE })
    let next = 0
    /** the next CHUNK frames of every device, QoS 1 (acked = in the stream) */
    const publishChunk = async (): Promise<void> => {
      const from = next
      next = Math.min(PER_DEVICE, next + CHUNK)
      await Promise.all(config.stations.map(async (s, i) => {
        for (let k = from; k < next; k++) await devices[i]!.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(k), { qos: 1 })
      }))
    }

    const db = new Database(join(dataDir, config.store.file), { readonly: true, fileMustExist: true })
    const count = (): number => (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n
    const victim = workers[0]!
    const consumer = `${hostname()}-${victim.child.pid!}`
    const pendingOf = async (): Promise<string[]> =>
      (await redis.client.xpending(stream, group, '-', '+', 1000, consumer) as Array<[string, string, number, number]>).map(e => e[0])
    try {
      await publishChunk()
      await waitFor(() => count() >= config.stations.length * CHUNK ? true : undefined, 'first readings stored', 30_000)
      // Freeze the victim, then publish: Redis hands new entries to its XREADGROUP that is
      // still blocked server-side, so they become pending for a consumer that cannot ack them.
      let held: string[] = []
      while (held.length === 0 && next < PER_DEVICE) {
        // Freeze it only once it has acked all it read: stopped between a commit and its XACK, it would
        // hold entries it already stored, and the survivor's claim would rightly process them a second
        // time (at-least-once across a SIGKILL). Entries handed to it while frozen were never processed.
        await waitFor(async () => (await pendingOf()).length === 0 ? true : undefined, 'the victim acked what it read', 30_000)
        victim.child.kill('SIGSTOP')
        await publishChunk()
        held = await pendingOf()
        if (held.length === 0) victim.child.kill('SIGCONT')
      }
      expect(held.length, 'the victim holds unacknowledged entries').toBeGreaterThan(0)
      victim.child.kill('SIGKILL')
      expect(await victim.exit).toBeNull()
      const heldEntries = new Map<string, { station: string, time: number }>()
      for (const id of held) {
        const [[, fields] = ['', []]] = await redis.client.xrangeBuffer(stream, id, id)
        const f = new Map<string, Buffer>()
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!)
        const device = /^mmr\/v1\/gauge\/([^/]+)\/up$/.exec(f.get('topic')?.toString() ?? '')?.[1] ?? ''
        const reading = expected.get(`${device}:${f.get('payload')?.toString('hex') ?? ''}`)
        expect(reading, `entry ${id} is one of our frames`).toBeDefined()
        heldEntries.set(id, reading!)
      }
      while (next < PER_DEVICE) await publishChunk()
      await waitFor(() => count() === total ? true : undefined, `all ${total} readings stored`, 60_000)
      // nothing left pending in the group: the survivor took over and acked the dead worker's entries
      await waitFor(async () => {
        const pending = await redis.client.xpending(stream, group) as [number, ...unknown[]]
        return pending[0] === 0 ? true : undefined
      }, 'no pending entries', 30_000)
      const claimed = workers[1]!.out().split('\n').filter(l => l.includes('took over entries left by another worker'))
        .reduce((n, l) => n + (JSON.parse(l) as { count: number }).count, 0)
      expect(claimed).toBeGreaterThanOrEqual(held.length)
      const one = db.prepare('SELECT COUNT(*) AS n FROM readings WHERE station_id = ? AND time = ?')
      for (const [id, r] of heldEntries) expect({ id, n: (one.get(r.station, r.time) as { n: number }).n }).toEqual({ id, n: 1 })
      const perStation = db.prepare('SELECT station_id, COUNT(*) AS n, COUNT(DISTINCT time) AS d FROM readings GROUP BY station_id').all() as Array<{ station_id: string, n: number, d: number }>
      expect(perStation).toHaveLength(config.stations.length)
      for (const row of perStation) expect({ station: row.station_id, n: row.n, d: row.d }).toEqual({ station: row.station_id, n: PER_DEVICE, d: PER_DEVICE })
      // one stream entry per publish, from both brokers
      const entries = await redis.client.xlen(stream)
      expect(entries).toBeGreaterThanOrEqual(total)
      // processed once, not just stored once: the unique key would hide a second processing,
      // which the store reports as a duplicate in the survivor's stats (its closing log line)
      const survivor = workers[1]!
      survivor.child.kill('SIGTERM')
      expect(await survivor.exit).toBe(0)
      const closing = survivor.out().split('\n').find(l => l.includes('ingest worker closed'))
      expect(closing, 'survivor logged its stats').toBeDefined()
      const { stats } = JSON.parse(closing!) as { stats: { stored: number, duplicates: number, claimed: number } }
      expect(stats.duplicates).toBe(0)
      expect(stats.claimed).toBeGreaterThanOrEqual(held.length)
      expect(stats.stored).toBeGreaterThanOrEqual(held.length)
      expect(stats.stored).toBeLessThanOrEqual(total)
    } finally {
      db.close()
    }
  })
})
