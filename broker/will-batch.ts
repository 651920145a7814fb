import type { LevelBatcher, LevelBatchStats } from './level-batch.js'
import { msgpack } from './retained-batch.js'

/**
 * Wills written to LevelDB in batches (broker/level-batch.ts), in place of
 * aedes-persistence-level's putWill / getWill / delWill (asyncPersistence.js), same keys and
 * values. Every CONNECT of a gauge carries a will, and aedes stores it before the CONNACK: in a
 * reconnect storm one LevelDB put per device. All three go through the batcher's order: a read
 * (getWill, and delWill's read of what it deletes) waits until the writes of that key made
 * before it have landed, so it never sees an older will than the last one stored; a delete is
 * an operation of the batch, and a delete asked for before a put of the same client (the old
 * connection's clean close racing the new one's CONNECT, a takeover) is dropped if that put came
 * while it read, so it never removes the newer will (aedes-persistence-level's own get + del could).
 * Must be applied before broker/level-index.ts wraps these methods.
 */
type Fn = (...args: any[]) => any // eslint-disable-line @typescript-eslint/no-explicit-any

interface WillDb { get(key: string, options: { valueEncoding: 'buffer' }): Promise<Buffer | undefined> }

/** aedes-persistence-level's will key (asyncPersistence.js `willKey`) */
const willKey = (clientId: string): string => `will:${encodeURIComponent(clientId)}`

export function batchWillWrites (instance: object, db: WillDb, batcher: LevelBatcher): LevelBatchStats {
  const stats: LevelBatchStats = { batches: 0, written: 0, coalesced: 0 }
  const p = instance as Record<string, Fn>
  let brokerId: string | undefined
  // the original keeps the broker in a private field; the will records which broker holds it
  const setup = (p.setup as Fn).bind(instance)
  p.setup = async (broker: { id: string }) => { brokerId = broker.id; return await setup(broker) }

  const read = async (key: string): Promise<unknown> => {
    await batcher.settled(key)
    const blob = await db.get(key, { valueEncoding: 'buffer' })
    return blob === undefined ? undefined : msgpack.decode(blob)
  }
  /** puts per key so far: a delete whose read saw a later put is superseded */
  const puts = new Map<string, number>()
  p.putWill = async (client: { id: string }, packet: Record<string, unknown>) => {
    packet.brokerId = brokerId
    packet.clientId = client.id
    const key = willKey(client.id)
    puts.set(key, (puts.get(key) ?? 0) + 1)
    await batcher.write({ type: 'put', key, value: msgpack.encode(packet) }, stats)
  }
  p.getWill = async (client: { id: string }) => await read(willKey(client.id))
  p.delWill = async (client: { id: string }) => {
    const key = willKey(client.id)
    const before = puts.get(key)
    const will = await read(key)
    if (will === undefined || puts.get(key) !== before) return undefined
    await batcher.write({ type: 'del', key }, stats)
    return will
  }
  return stats
}
