import { hostname } from 'node:os'
import { Redis } from 'ioredis'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError, toMimamoriError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { parseTopic } from '../../core/topics.js'
import { classifyLevel } from '../../core/levels.js'
import { redisOptions } from '../../broker/persistence.js'
import { STREAM_FIELDS } from '../../broker/cluster.js'
import type { Store } from '../store/store.js'
import { countRejection, createStats, type IngestStats } from '../stats.js'
import type { HandlerContext } from '../handlers/context.js'
import { handleGaugeUplink, UPLINK_FPORT } from '../handlers/gauge.js'
import { handleCameraImage } from '../handlers/camera.js'
import { handleCameraDetection } from '../handlers/camera-detection.js'
import { handleDeviceStatus } from '../handlers/status.js'

export interface StreamIngest {
  start(): Promise<void>
  close(): Promise<void>
  readonly consumer: string
  readonly stats: Readonly<IngestStats & { acked: number, claimed: number }>
}

export interface StreamIngestDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  /** consumer name in the group; unique per worker process */
  consumer?: string
}

type Entry = [id: Buffer, fields: Buffer[] | null]

/**
 * Cluster-mode ingest worker: reads device uplinks from the Redis stream the
 * brokers append to (broker/cluster.ts) as one consumer of a consumer group,
 * so workers share the work. An entry is XACKed only after its outcome is
 * durable (stored, duplicate, or refused for good); a worker that dies leaves
 * its entries pending, and another worker takes them over with XAUTOCLAIM
 * after broker.cluster.claimIdleMs. Writes are idempotent on (station, time),
 * so a reading handled twice is stored once.
 */
export function createStreamIngest ({ config, logger, bus, store, consumer = `${hostname()}-${process.pid}` }: StreamIngestDeps): StreamIngest {
  const { redisUrl, stream, group, claimIdleMs } = config.broker.cluster
  if (redisUrl === '') throw new MimamoriError('MIMAMORI_ERR_CONFIG', 'stream ingest needs broker.cluster.redisUrl')
  const log = logger.child({ component: 'ingest', mode: 'stream', consumer })
  const stats = { ...createStats(), acked: 0, claimed: 0 }
  const ctx: HandlerContext = { config, logger: log, bus, store, stats, lastStatus: new Map(), lastTime: new Map() }
  const redis = new Redis({ ...redisOptions(redisUrl), maxRetriesPerRequest: null, lazyConnect: true })
  redis.on('error', (err: Error) => { log.warn({ err: err.message }, 'redis connection error') })
  let running = false
  let loop: Promise<void> | undefined
  let closing: Promise<void> | undefined
  let nextClaim = 0

  async function route (topic: string, payload: Buffer, receivedAt: number): Promise<void> {
    const t = parseTopic(topic)
    if (t === null || t.type !== 'device') throw new MimamoriError('MIMAMORI_ERR_BAD_TOPIC', `no handler for topic ${topic}`)
    if (t.kind === 'gauge' && t.channel === 'up') {
      const r = await handleGaugeUplink(ctx, t.deviceId, payload, UPLINK_FPORT, receivedAt)
      if (r === 'inserted') stats.stored++
      else if (r === 'duplicate') stats.duplicates++
      return
    }
    if (t.kind === 'camera' && t.channel === 'image') {
      const r = await handleCameraImage(ctx, t.deviceId, payload, receivedAt)
      if (r === 'inserted') stats.images++
      else stats.duplicates++
      return
    }
    if (t.kind === 'camera' && t.channel === 'detection') {
      if ((await handleCameraDetection(ctx, t.deviceId, payload)) === 'inserted') stats.stored++
      else stats.duplicates++
      return
    }
    if (t.channel === 'status') {
      handleDeviceStatus(ctx, t.kind, t.deviceId, payload, receivedAt)
      return
    }
    throw new MimamoriError('MIMAMORI_ERR_BAD_TOPIC', `no handler for topic ${topic}`)
  }

  /** true when the entry's outcome is final and it may be acknowledged */
  async function handle ([id, fields]: Entry): Promise<boolean> {
    if (fields === null) return true // trimmed from the stream before anyone read it
    const f = new Map<string, Buffer>()
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!)
    const topic = f.get(STREAM_FIELDS.topic)?.toString() ?? ''
    const payload = f.get(STREAM_FIELDS.payload) ?? Buffer.alloc(0)
    const receivedAt = Number(f.get(STREAM_FIELDS.receivedAt)?.toString() ?? Date.now())
    stats.received++
    try {
      await route(topic, payload, Number.isFinite(receivedAt) ? receivedAt : Date.now())
      return true
    } catch (err) {
      const e = toMimamoriError(err)
      countRejection(stats, e.code)
      if (e.code === 'MIMAMORI_ERR_STORE' || e.code === 'MIMAMORI_ERR_CLOSED') {
        log.error({ err: e.message, id: id.toString() }, 'store failed; entry left pending for redelivery')
        return false
      }
      bus.emit('rejected', { code: e.code, source: topic, message: e.message, time: Date.now() })
      log.warn({ code: e.code, topic, err: e.message }, 'message rejected')
      return true
    }
  }

  async function processEntries (entries: Entry[]): Promise<void> {
    const done: Buffer[] = []
    for (const entry of entries) {
      if (await handle(entry)) done.push(entry[0])
      else break // storage trouble: stop, the rest stay pending and are retried
    }
    if (done.length > 0) {
      await redis.xack(stream, group, ...done)
      stats.acked += done.length
    }
    if (done.length < entries.length) await sleep(1000)
  }

  /** takes over entries another (dead) consumer left unacknowledged for claimIdleMs */
  async function claim (): Promise<void> {
    let cursor = '0-0'
    do {
      const res = await redis.callBuffer('XAUTOCLAIM', stream, group, consumer, claimIdleMs, cursor, 'COUNT', 100) as [Buffer, Entry[]]
      cursor = res[0].toString()
      const entries = res[1]
      if (entries.length > 0) {
        stats.claimed += entries.length
        log.info({ count: entries.length }, 'took over entries left by another worker')
        await processEntries(entries)
      }
    } while (cursor !== '0-0' && running)
  }

  async function run (): Promise<void> {
    while (running) {
      try {
        if (Date.now() >= nextClaim) {
          await claim()
          nextClaim = Date.now() + Math.max(100, Math.floor(claimIdleMs / 2))
        }
        const res = await redis.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 100, 'BLOCK', 500, 'STREAMS', stream, '>') as Array<[Buffer, Entry[]]> | null
        for (const [, entries] of res ?? []) await processEntries(entries)
      } catch (err) {
        if (!running) break
        log.warn({ err: (err as Error).message }, 'stream read failed; retrying')
        await sleep(500)
      }
    }
  }

  return {
    consumer,
    stats,
    async start () {
      for (const [stationId, r] of await store.latestReadings()) {
        const s = store.getStation(stationId)
        if (s === undefined) continue
        ctx.lastStatus.set(stationId, classifyLevel(r.level, s.thresholds))
        ctx.lastTime.set(stationId, r.time)
      }
      await redis.connect()
      try {
        await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM')
      } catch (err) {
        if (!String((err as Error).message).includes('BUSYGROUP')) throw new MimamoriError('MIMAMORI_ERR_CLUSTER', `cannot create consumer group: ${(err as Error).message}`, { cause: err })
      }
      running = true
      loop = run()
      log.info({ stream, group }, 'ingest worker consuming')
    },
    async close () {
      closing ??= (async () => {
        running = false
        await loop
        await redis.quit().catch(() => { redis.disconnect() })
        log.info({ stats }, 'ingest worker closed')
      })()
      return await closing
    }
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
