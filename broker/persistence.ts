import { createRequire } from 'node:module'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import { redisOptions } from '../core/redis.js'
import { indexLevelPersistence } from './level-index.js'
import { createLevelBatcher, type LevelBatchStats } from './level-batch.js'
import { batchRetainedWrites, type RetainedBatchStats } from './retained-batch.js'
import { batchWillWrites } from './will-batch.js'
import type { Logger } from '../core/logger.js'

const require = createRequire(import.meta.url)

/**
 * aedes 1.x calls the promise API but still expects Node streams from
 * createRetainedStream*; aedes-persistence's CallBackPersistence adapts any
 * async persistence (its own default does the same), so every backend goes through it.
 */
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as { CallBackPersistence: new (factory: () => unknown) => AedesPersistence }
const adapt = (instance: unknown): AedesPersistence => {
  const p = new CallBackPersistence(() => instance) as AedesPersistence & Record<string, unknown>
  // Aedes pipes retained-message streams without an error handler; a subscribe that is
  // still reading when the broker shuts down must end quietly, not as an uncaught error.
  for (const name of ['createRetainedStreamCombi', 'createRetainedStream']) {
    const original = p[name] as (arg: unknown) => NodeJS.EventEmitter
    p[name] = (arg: unknown) => original.call(p, arg).on('error', () => undefined)
  }
  return p
}

/** The async persistence interface aedes 1.x drives; the classes below implement it. */
export interface AedesPersistence {
  setup(broker: unknown): Promise<void>
  destroy(): Promise<void>
}

export interface PersistenceChoice {
  persistence: AedesPersistence
  describe: string
  /** retained messages written in batches (level backend: broker/retained-batch.ts) */
  retainedWrites?: Readonly<RetainedBatchStats>
  /** wills written in the same batches (broker/will-batch.ts) */
  willWrites?: Readonly<LevelBatchStats>
  close(): Promise<void>
}

/**
 * QoS 1/2 sessions, retained messages, wills and subscriptions:
 * - `level` (default): files under dataDir, survives a broker restart, one process at a time;
 * - `redis`: shared by every broker of a cluster (aedes-persistence-redis);
 * - `memory`: tests and throwaway runs only.
 */
export async function openPersistence (config: Pick<Config, 'broker' | 'dataDir'>, logger: Logger): Promise<PersistenceChoice> {
  const { backend, dir } = config.broker.persistence
  if (backend === 'memory') {
    const Memory = require('aedes-persistence/asyncPersistence.js') as new () => AedesPersistence
    const p = adapt(new Memory())
    return { persistence: p, describe: 'memory', close: async () => { await p.destroy() } }
  }
  if (backend === 'level') {
    const location = resolve(config.dataDir, dir)
    mkdirSync(location, { recursive: true })
    const { Level } = await import('level')
    const db = new Level<string, Buffer>(location)
    try {
      await db.open()
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message
      throw new MimamoriError('MIMAMORI_ERR_STORE', `broker persistence ${location} cannot be opened (another broker using it?): ${cause}`, { cause: err })
    }
    const LevelPersistence = require('aedes-persistence-level/asyncPersistence.js') as new (db: unknown) => AedesPersistence
    const instance = new LevelPersistence(db)
    // a reconnect storm's wills and retained statuses: one LevelDB batch per moment, not one put per device
    const batcher = createLevelBatcher(db as unknown as Parameters<typeof createLevelBatcher>[0])
    // (before the index, which wraps the will methods)
    const willWrites = batchWillWrites(instance, db as unknown as Parameters<typeof batchWillWrites>[1], batcher)
    // clean-session CONNECTs skip the LevelDB round trips that find nothing (broker/level-index.ts)
    await indexLevelPersistence(instance, db as unknown as Parameters<typeof indexLevelPersistence>[1])
    const retainedWrites = batchRetainedWrites(instance, batcher)
    const p = adapt(instance)
    let closed = false
    return {
      persistence: p,
      describe: `level (${location})`,
      retainedWrites,
      willWrites,
      close: async () => {
        if (closed) return
        closed = true
        await p.destroy()
      }
    }
  }
  const url = config.broker.cluster.redisUrl
  if (url === '') throw new MimamoriError('MIMAMORI_ERR_CONFIG', 'broker.persistence.backend "redis" needs broker.cluster.redisUrl')
  const RedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: object) => AedesPersistence
  // our own connection, so a Redis outage is a logged warning (ioredis reconnects), not console noise
  const { Redis } = await import('ioredis')
  const conn = new Redis({ ...redisOptions(url), maxRetriesPerRequest: 3 })
  conn.on('error', (err: Error) => { logger.warn({ component: 'broker-persistence', err: err.message }, 'redis persistence connection error; reconnecting') })
  const p = adapt(new RedisPersistence({ conn }))
  let closed = false
  logger.debug({ backend }, 'broker persistence')
  return {
    persistence: p,
    describe: `redis (${new URL(url).host})`,
    close: async () => {
      if (closed) return
      closed = true
      await p.destroy()
    }
  }
}
