import { createRequire } from 'node:module'
import { Redis } from 'ioredis'
import type { PublishPacket } from 'aedes'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { isIngestTopic } from '../core/topics.js'
import { redisOptions, STREAM_FIELDS } from '../core/redis.js'

export { STREAM_FIELDS }

const require = createRequire(import.meta.url)


interface ClusterEmitter {
  close(cb: () => void): void
  /** mqemitter-redis re-emits its connections' errors here; without a listener they would be uncaught */
  readonly state: NodeJS.EventEmitter
}

/**
 * Message fan-out between brokers: every broker of the cluster sees every publish (mqemitter-redis).
 * enableReadyCheck off: aedes-persistence-redis subscribes through this emitter during setup, and a
 * SUBSCRIBE queued while ioredis still ran its INFO ready check failed with "Connection in subscriber
 * mode" and stopped the broker (about 1 start in 40). A Redis drop or restart is logged, not fatal:
 * ioredis reconnects and resubscribes on its own.
 */
export function createClusterEmitter (url: string, logger: Logger): ClusterEmitter {
  const log = logger.child({ component: 'cluster-emitter' })
  const MQEmitterRedis = require('mqemitter-redis') as (opts: object) => ClusterEmitter
  const mq = MQEmitterRedis({ ...redisOptions(url), enableReadyCheck: false })
  mq.state.on('error', (err: Error) => { log.warn({ err: err.message }, 'redis fan-out connection error; reconnecting') })
  return mq
}

export interface UplinkFeed {
  /**
   * Called from authorizePublish, which aedes runs before it writes the PUBACK
   * (aedes acks QoS 1 before its own publish chain): so an acked uplink is in Redis.
   * Rejects when Redis is unavailable; the broker then drops the client without an ack.
   */
  append(packet: PublishPacket): Promise<void>
  readonly appended: number
  readonly failed: number
  close(): Promise<void>
}

/**
 * Cluster mode: the broker that receives a message on an ingest topic (core/topics.ts
 * INGEST_SUBSCRIPTIONS: gauge, ChirpStack, camera image and detection, status) appends it to one
 * Redis stream; ingest workers read it through a consumer group
 * (ingest/cluster/stream-ingest.ts). One entry per received publish, whichever
 * broker the device is connected to, so work is shared and nothing is read twice
 * by design (a redelivered entry after a worker crash is idempotent in the store).
 */
export function createUplinkFeed ({ config, logger, brokerId }: { config: Pick<Config, 'broker'>, logger: Logger, brokerId: string }): UplinkFeed {
  const { redisUrl, stream, streamMaxLen } = config.broker.cluster
  const log = logger.child({ component: 'uplink-feed' })
  const redis = new Redis({ ...redisOptions(redisUrl), maxRetriesPerRequest: 3, lazyConnect: false })
  redis.on('error', (err: Error) => { log.warn({ err: err.message }, 'redis connection error') })
  let appended = 0
  let failed = 0
  let closed = false
  return {
    get appended () { return appended },
    get failed () { return failed },
    async append (packet) {
      if (closed || !isIngestTopic(packet.topic)) return
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
      try {
        await redis.xadd(stream, 'MAXLEN', '~', streamMaxLen, '*',
          STREAM_FIELDS.topic, packet.topic,
          STREAM_FIELDS.payload, payload,
          STREAM_FIELDS.broker, brokerId,
          STREAM_FIELDS.receivedAt, String(Date.now()))
        appended++
      } catch (err) {
        failed++
        log.error({ err: (err as Error).message, topic: packet.topic }, 'uplink not appended to the stream; device will retry')
        throw new MimamoriError('MIMAMORI_ERR_CLUSTER', 'uplink stream unavailable', { cause: err })
      }
    },
    async close () {
      if (closed) return
      closed = true
      await redis.quit().catch(() => { redis.disconnect() })
    }
  }
}
