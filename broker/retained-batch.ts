import { createRequire } from 'node:module'

/**
 * Retained messages written to LevelDB in batches, in front of aedes-persistence-level.
 *
 * Every gauge publishes a retained `{"online":true}` on each CONNECT and its will a retained
 * `{"online":false}` when it goes: in a reconnect storm that was one LevelDB put (one trip to
 * the libuv pool, one write to the log) per device. Here the writes of one moment are
 * coalesced: a topic written again before its batch left keeps only its newest packet (the
 * last state of each device is what a retained message is), and one `db.batch` writes them all.
 * At most one batch is in flight, so batches reach the disk in the order they were made and a
 * newer state can never be overtaken by an older one; what arrives meanwhile forms the next
 * batch (the busier the broker, the larger the batch).
 *
 * Each `storeRetained` still resolves only once its packet (or a newer one for the same topic)
 * is on disk, so aedes delivers and acknowledges a retained publish after it is stored, as
 * before. An empty payload deletes the topic's retained message, in the same order.
 */
type Fn = (...args: any[]) => any // eslint-disable-line @typescript-eslint/no-explicit-any

interface BatchDb {
  batch(ops: Array<{ type: 'put', key: string, value: Buffer } | { type: 'del', key: string }>, options: { valueEncoding: 'buffer' }): Promise<void>
}

interface Packet { topic: string, payload: Buffer | string }
interface Pending { op: { type: 'put', key: string, value: Buffer } | { type: 'del', key: string }, waiters: Array<{ resolve: () => void, reject: (err: unknown) => void }> }

// the encoder aedes-persistence-level itself uses, so a batched value reads back as one of its own
const levelRequire = createRequire(createRequire(import.meta.url).resolve('aedes-persistence-level'))
const msgpack = levelRequire('msgpack-lite') as { encode(value: unknown): Buffer }
/** aedes-persistence-level's key prefix for retained messages (asyncPersistence.js `RETAINED`) */
const RETAINED = 'retained:'

export interface RetainedBatchStats { batches: number, written: number, coalesced: number }

export function batchRetainedWrites (instance: object, db: BatchDb): RetainedBatchStats {
  const stats: RetainedBatchStats = { batches: 0, written: 0, coalesced: 0 }
  let next = new Map<string, Pending>()
  let writing = false

  async function flush (): Promise<void> {
    writing = true
    while (next.size > 0) {
      const batch = next
      next = new Map()
      const ops = [...batch.values()].map(p => p.op)
      try {
        await db.batch(ops, { valueEncoding: 'buffer' })
        stats.batches++
        stats.written += ops.length
        for (const p of batch.values()) for (const w of p.waiters) w.resolve()
      } catch (err) {
        for (const p of batch.values()) for (const w of p.waiters) w.reject(err)
      }
    }
    writing = false
  }

  const p = instance as Record<string, Fn>
  p.storeRetained = async (packet: Packet): Promise<void> => {
    // encoded now, as the original did: aedes may change the packet object once this returns
    const key = `${RETAINED}${packet.topic}`
    const op: Pending['op'] = packet.payload.length === 0 ? { type: 'del', key } : { type: 'put', key, value: msgpack.encode(packet) }
    await new Promise<void>((resolve, reject) => {
      const prev = next.get(key)
      if (prev !== undefined) {
        stats.coalesced++
        prev.op = op
        prev.waiters.push({ resolve, reject })
      } else {
        next.set(key, { op, waiters: [{ resolve, reject }] })
      }
      // the first write of a moment starts the batch one loop turn later, so the turn's writes share it
      if (!writing) { writing = true; setImmediate(() => { void flush() }) }
    })
  }
  return stats
}
