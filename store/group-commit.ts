import type Database from 'better-sqlite3'
import { MimamoriError } from '../core/errors.js'

/**
 * Group commit: every write submitted during one event-loop turn goes into one
 * transaction, committed at the end of the turn (setImmediate), and each caller's
 * promise settles after that commit. Under load one commit (and, with
 * synchronous = FULL, one fsync) serves hundreds of readings; with one message in
 * flight it costs a single loop turn. A statement that fails fails only its own
 * write (SQLite rolls back just that statement); a failed commit fails the batch,
 * so no caller is told "stored" for a row that is not on disk.
 */
export function createGroupCommit<T, R> (db: Database.Database, what: string, write: (item: T) => R): { submit(item: T): Promise<R>, readonly batches: number } {
  let queue: Array<{ item: T, resolve: (r: R) => void, reject: (err: unknown) => void }> = []
  let scheduled = false
  let batches = 0
  const run = db.transaction((items: typeof queue) => items.map(({ item }) => {
    try {
      return { ok: true as const, value: write(item) }
    } catch (err) {
      return { ok: false as const, err }
    }
  }))
  const flush = (): void => {
    scheduled = false
    const items = queue
    queue = []
    let results: ReturnType<typeof run>
    try {
      results = run(items)
      batches++
    } catch (err) {
      const e = new MimamoriError('MIMAMORI_ERR_STORE', `${what}: ${(err as Error).message}`, { cause: err })
      for (const q of items) q.reject(e)
      return
    }
    for (const [i, q] of items.entries()) {
      const r = results[i]!
      if (r.ok) q.resolve(r.value)
      else q.reject(new MimamoriError('MIMAMORI_ERR_STORE', `${what}: ${(r.err as Error).message}`, { cause: r.err }))
    }
  }
  return {
    get batches () { return batches },
    async submit (item) {
      return await new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    }
  }
}
