/**
 * LevelDB writes of one moment in one `db.batch` (the level backend of the broker's persistence:
 * retained messages, broker/retained-batch.ts, and wills, broker/will-batch.ts).
 *
 * In a reconnect storm every gauge's CONNECT puts its will and publishes a retained status: one
 * LevelDB put each was one native call, one trip to the libuv pool and one write to the log per
 * device (the will's put alone was 13 % of the broker thread in a 5 000-gauge storm profile).
 * Here a key written again before its batch left keeps only its newest operation, and one batch
 * writes them all. At most one batch is in flight, so batches reach the disk in the order they
 * were made and a newer value can never be overtaken by an older one; what arrives meanwhile
 * forms the next batch (the busier the broker, the larger the batch). Each write resolves only
 * once its operation (or a newer one for the same key) is on disk.
 */
export type LevelOp = { type: 'put', key: string, value: Buffer } | { type: 'del', key: string }

interface BatchDb {
  batch(ops: LevelOp[], options: { valueEncoding: 'buffer' }): Promise<void>
}

/** per kind of write: LevelDB batches that carried one, operations written, writes superseded by a newer one of the same key before their batch */
export interface LevelBatchStats { batches: number, written: number, coalesced: number }

export interface LevelBatcher {
  write(op: LevelOp, stats: LevelBatchStats): Promise<void>
  /** resolves once every write of this key made so far has landed (or failed): a read after it sees them */
  settled(key: string): Promise<void>
}

interface Waiter { resolve: () => void, reject: (err: unknown) => void }
interface Pending { op: LevelOp, stats: LevelBatchStats, waiters: Waiter[] }

export function createLevelBatcher (db: BatchDb): LevelBatcher {
  let next = new Map<string, Pending>()
  let inFlight = new Map<string, Pending>()
  let writing = false

  async function flush (): Promise<void> {
    while (next.size > 0) {
      const batch = next
      next = new Map()
      inFlight = batch
      const ops = [...batch.values()].map(p => p.op)
      try {
        await db.batch(ops, { valueEncoding: 'buffer' })
        const kinds = new Set<LevelBatchStats>()
        for (const p of batch.values()) { p.stats.written++; kinds.add(p.stats) }
        for (const s of kinds) s.batches++
        for (const p of batch.values()) for (const w of p.waiters) w.resolve()
      } catch (err) {
        for (const p of batch.values()) for (const w of p.waiters) w.reject(err)
      }
    }
    inFlight = new Map()
    writing = false
  }

  return {
    async write (op, stats) {
      await new Promise<void>((resolve, reject) => {
        const prev = next.get(op.key)
        if (prev !== undefined) {
          stats.coalesced++
          prev.op = op
          prev.waiters.push({ resolve, reject })
        } else {
          next.set(op.key, { op, stats, waiters: [{ resolve, reject }] })
        }
        // the first write of a moment starts the batch one loop turn later, so the turn's writes share it
        if (!writing) { writing = true; setImmediate(() => { void flush() }) }
      })
    },
    async settled (key) {
      // the queued batch lands after the one in flight, so waiting for it covers both
      const p = next.get(key) ?? inFlight.get(key)
      if (p === undefined) return
      await new Promise<void>(resolve => { p.waiters.push({ resolve, reject: () => { resolve() } }) })
    }
  }
}
