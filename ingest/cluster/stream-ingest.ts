import { hostname } from 'node:os'
import { Redis } from 'ioredis'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { redisOptions, STREAM_FIELDS } from '../../core/redis.js'
import type { Alerts } from '../../alerts/index.js'
import { createIngestPipeline, type IngestPipeline } from '../pipeline.js'
import type { Store } from '../../store/store.js'
import type { IngestStats } from '../stats.js'

export interface StreamIngest {
  start(): Promise<void>
  close(): Promise<void>
  readonly consumer: string
  readonly stats: Readonly<IngestStats & { acked: number, claimed: number }>
  readonly pipeline: IngestPipeline
}

export interface StreamIngestDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  /** the process's one alert service, built by the composition root (cli/) */
  alerts: Alerts
  /** consumer name in the group; unique per worker process */
  consumer?: string
}

type Entry = [id: Buffer, fields: Buffer[] | null]

/**
 * Cluster-mode intake: reads what the brokers append to the Redis stream
 * (broker/cluster.ts) as one consumer of a consumer group, so workers share the
 * work, and hands each entry to the same pipeline as every other mode
 * (ingest/pipeline.ts: router, QC, rules, wildlife, alerts). An entry is
 * XACKed only after its outcome is durable (stored, duplicate, or refused for
 * good); a worker that dies leaves its entries pending, and another worker
 * takes them over with XAUTOCLAIM after broker.cluster.claimIdleMs. Writes are
 * idempotent on (station, time) and alerts are deduplicated by key in the shared
 * database, so an entry handled twice is stored and alerted once.
 */
export function createStreamIngest ({ config, logger, bus, store, alerts, consumer = `${hostname()}-${process.pid}` }: StreamIngestDeps): StreamIngest {
  const { redisUrl, stream, group, claimIdleMs } = config.broker.cluster
  if (redisUrl === '') throw new MimamoriError('MIMAMORI_ERR_CONFIG', 'stream ingest needs broker.cluster.redisUrl')
  const log = logger.child({ component: 'ingest', mode: 'stream', consumer })
  const pipeline = createIngestPipeline({ config, logger: logger.child({ consumer }), bus, store, alerts })
  const counts = { acked: 0, claimed: 0 }
  const redis = new Redis({ ...redisOptions(redisUrl), maxRetriesPerRequest: null, lazyConnect: true })
  redis.on('error', (err: Error) => { log.warn({ err: err.message }, 'redis connection error') })
  let running = false
  let loop: Promise<void> | undefined
  let closing: Promise<void> | undefined
  let nextClaim = 0

  /** true when the entry's outcome is final and it may be acknowledged */
  async function handle ([, fields]: Entry): Promise<boolean> {
    if (fields === null) return true // trimmed from the stream before anyone read it
    const f = new Map<string, Buffer>()
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!)
    const receivedAt = Number(f.get(STREAM_FIELDS.receivedAt)?.toString() ?? Date.now())
    const outcome = await pipeline.handle({
      topic: f.get(STREAM_FIELDS.topic)?.toString() ?? '',
      payload: f.get(STREAM_FIELDS.payload) ?? Buffer.alloc(0),
      // a live publish (the broker appended it from authorizePublish), never a retained replay
      receivedAt: Number.isFinite(receivedAt) ? receivedAt : Date.now()
    })
    return outcome === 'settled'
  }

  async function processEntries (entries: Entry[]): Promise<void> {
    // All entries of a read go into the pipeline at once so their writes share one
    // transaction; an entry that must come again stops the acks at its place.
    const outcomes = await Promise.all(entries.map(handle))
    const firstRetry = outcomes.indexOf(false)
    const done = (firstRetry === -1 ? entries : entries.slice(0, firstRetry)).map(e => e[0])
    if (done.length > 0) {
      await redis.xack(stream, group, ...done)
      counts.acked += done.length
    }
    if (firstRetry !== -1) await sleep(1000)
  }

  /** takes over entries another (dead) consumer left unacknowledged for claimIdleMs */
  async function claim (): Promise<void> {
    let cursor = '0-0'
    do {
      const res = await redis.callBuffer('XAUTOCLAIM', stream, group, consumer, claimIdleMs, cursor, 'COUNT', 100) as [Buffer, Entry[]]
      cursor = res[0].toString()
      const entries = res[1]
      if (entries.length > 0) {
        counts.claimed += entries.length
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
        const res = await redis.callBuffer('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 500, 'BLOCK', 500, 'STREAMS', stream, '>') as Array<[Buffer, Entry[]]> | null
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
    pipeline,
    get stats () { return { ...pipeline.stats, ...counts } },
    async start () {
      await pipeline.start()
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
        await pipeline.close()
        log.info({ stats: { ...pipeline.stats, ...counts } }, 'ingest worker closed')
      })()
      return await closing
    }
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
