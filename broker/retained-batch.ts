import { createRequire } from 'node:module'
import type { LevelBatcher, LevelBatchStats } from './level-batch.js'

/**
 * Retained messages written to LevelDB in batches (broker/level-batch.ts), in front of
 * aedes-persistence-level.
 *
 * Every gauge publishes a retained `{"online":true}` on each CONNECT and its will a retained
 * `{"online":false}` when it goes: in a reconnect storm that was one LevelDB put per device.
 * A topic written again before its batch left keeps only its newest packet (the last state of
 * each device is what a retained message is). Each `storeRetained` still resolves only once
 * its packet (or a newer one for the same topic) is on disk, so aedes delivers and acknowledges
 * a retained publish after it is stored, as before. An empty payload deletes the topic's
 * retained message, in the same order.
 */
type Fn = (...args: any[]) => any // eslint-disable-line @typescript-eslint/no-explicit-any

interface Packet { topic: string, payload: Buffer | string }

// the encoder aedes-persistence-level itself uses, so a batched value reads back as one of its own
const levelRequire = createRequire(createRequire(import.meta.url).resolve('aedes-persistence-level'))
export const msgpack = levelRequire('msgpack-lite') as { encode(value: unknown): Buffer, decode(blob: Buffer): unknown }
/** aedes-persistence-level's key prefix for retained messages (asyncPersistence.js `RETAINED`) */
const RETAINED = 'retained:'

export type RetainedBatchStats = LevelBatchStats

export function batchRetainedWrites (instance: object, batcher: LevelBatcher): RetainedBatchStats {
  const stats: RetainedBatchStats = { batches: 0, written: 0, coalesced: 0 }
  const p = instance as Record<string, Fn>
  p.storeRetained = async (packet: Packet): Promise<void> => {
    // encoded now, as the original did: aedes may change the packet object once this returns
    const key = `${RETAINED}${packet.topic}`
    await batcher.write(packet.payload.length === 0 ? { type: 'del', key } : { type: 'put', key, value: msgpack.encode(packet) }, stats)
  }
  return stats
}
