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
  /** one submitted write; `ok`/`value`/`err` are filled in inside the transaction (no result objects per row) */
  interface Entry { item: T, resolve: (r: R) => void, reject: (err: unknown) => void, ok: boolean, value: R | undefined, err: unknown }
  let queue: Entry[] = []
  let scheduled = false
  let batches = 0
  const run = db.transaction((items: Entry[]) => {
    for (const e of items) {
      try {
        e.value = write(e.item)
        e.ok = true
      } catch (err) {
        e.err = err
      }
    }
  })
  const flush = (): void => {
    scheduled = false
    const items = queue
    queue = []
    try {
      run(items)
      batches++
    } catch (err) {
      const e = new MimamoriError('MIMAMORI_ERR_STORE', `${what}: ${(err as Error).message}`, { cause: err })
      for (const q of items) q.reject(e)
      return
    }
    for (const q of items) {
      if (q.ok) q.resolve(q.value as R)
      else q.reject(new MimamoriError('MIMAMORI_ERR_STORE', `${what}: ${(q.err as Error).message}`, { cause: q.err }))
    }
  }
  return {
    get batches () { return batches },
    submit (item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject, ok: false, value: undefined, err: undefined })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    }
  }
}
