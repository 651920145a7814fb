import { MimamoriError } from '../../core/errors.js'
import type { Reading } from '../../core/types.js'
import { openParts } from '../db.js'
import { OUTBOX_PART } from './schema.js'
import { createGroupCommit } from '../group-commit.js'
import { storeSteps } from '../store-error.js'

/** Row states: waiting to be sent, delivered (kept as duplicate ledger), refused by the server for its content. */
export const OUTBOX_STATE = { pending: 0, delivered: 1, rejected: 2 } as const

export interface OutboxEntry {
  id: number
  reading: Reading
  attempts: number
}

export interface OutboxCounts {
  pending: number
  delivered: number
  rejected: number
}

export interface Outbox {
  /**
   * commits the reading (fsync'd) before resolving; idempotent on (station, time).
   * Readings enqueued in the same event-loop turn share one transaction and one fsync.
   */
  enqueue(reading: Reading): Promise<'inserted' | 'duplicate'>
  /** oldest pending rows first; with `afterId`, only rows above it (those below are in a batch in flight) */
  pending(limit: number, afterId?: number): OutboxEntry[]
  markDelivered(ids: number[], at: number): void
  markFailedAttempt(ids: number[], error: string): void
  markRejected(id: number, error: string): void
  /**
   * Rewrites a stored reading (e.g. QC revised its flag) and queues it again:
   * the database gets the same series + timestamp, which overwrites the point.
   * Returns false when the ledger no longer holds that reading.
   */
  revise(stationId: string, time: number, change: (r: Reading) => Reading): boolean
  /** every row the ledger still holds for a station in [from, to], any state */
  inRange(stationId: string, from: number, to: number, onlyUndelivered: boolean): Reading[]
  /** newest row with a level per station (delivered rows included: the ledger keeps each station's newest forever) */
  latest(): Map<string, Reading>
  /** deletes delivered rows observed before `before`, except each station's newest */
  prune(before: number): number
  counts(): OutboxCounts
  close(): void
}

/**
 * The outbox table (its own part, store/outbox/schema.ts) lives in the embedded
 * SQLite file on the process's shared handle, which it asks for
 * `synchronous = FULL`: the row is on disk before the MQTT PUBACK leaves, so
 * even a power cut after the ack loses nothing.
 */
export function openOutbox (file: string): Outbox {
  const handle = openParts(file, [OUTBOX_PART], { what: 'outbox', synchronous: 'FULL' })
  const db = handle.db
  const stmts = {
    insert: db.prepare('INSERT INTO outbox (station_id, time, doc, enqueued_at) VALUES (?, ?, ?, ?) ON CONFLICT (station_id, time) DO NOTHING'),
    pending: db.prepare<[number, number], { id: number, doc: string, attempts: number }>('SELECT id, doc, attempts FROM outbox WHERE state = 0 AND id > ? ORDER BY id LIMIT ?'),
    delivered: db.prepare('UPDATE outbox SET state = 1, delivered_at = ?, error = NULL WHERE id = ? AND state = 0'),
    failed: db.prepare('UPDATE outbox SET attempts = attempts + 1, error = ? WHERE id = ?'),
    rejected: db.prepare('UPDATE outbox SET state = 2, attempts = attempts + 1, error = ? WHERE id = ?'),
    range: db.prepare<[string, number, number], { doc: string }>('SELECT doc FROM outbox WHERE station_id = ? AND time >= ? AND time <= ? ORDER BY time DESC'),
    rangeUndelivered: db.prepare<[string, number, number], { doc: string }>('SELECT doc FROM outbox WHERE station_id = ? AND time >= ? AND time <= ? AND state <> 1 ORDER BY time DESC'),
    latest: db.prepare<[], { station_id: string, doc: string }>('SELECT o.station_id, o.doc FROM (SELECT station_id, MAX(time) AS t FROM outbox GROUP BY station_id) m JOIN outbox o ON o.station_id = m.station_id AND o.time = m.t'),
    latestLevel: db.prepare<[string], { doc: string }>("SELECT doc FROM outbox WHERE station_id = ? AND json_extract(doc, '$.level') IS NOT NULL ORDER BY time DESC LIMIT 1"),
    prune: db.prepare('DELETE FROM outbox WHERE state = 1 AND time < ? AND time < (SELECT MAX(time) FROM outbox AS n WHERE n.station_id = outbox.station_id)'),
    counts: db.prepare<[], { state: number, n: number }>('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state'),
    one: db.prepare<[string, number], { id: number, doc: string }>('SELECT id, doc FROM outbox WHERE station_id = ? AND time = ?'),
    remove: db.prepare('DELETE FROM outbox WHERE id = ?')
  }
  const wrap = storeSteps('outbox')
  // JSON has no NaN: a gap's level (QC flag 9) is written as null and read back as NaN
  const parse = (doc: string): Reading => {
    const r = JSON.parse(doc) as Omit<Reading, 'level'> & { level?: number | null }
    return (r.level === null ? { ...r, level: Number.NaN } : r) as Reading
  }
  const markDelivered = db.transaction((ids: number[], at: number) => { for (const id of ids) stmts.delivered.run(at, id) })
  const markFailed = db.transaction((ids: number[], error: string) => { for (const id of ids) stmts.failed.run(error, id) })
  const revise = db.transaction((stationId: string, time: number, change: (r: Reading) => Reading): boolean => {
    const row = stmts.one.get(stationId, time)
    if (row === undefined) return false
    // delete + insert gives a new id: the revision queues behind rows already waiting, never overtaking them
    stmts.remove.run(row.id)
    stmts.insert.run(stationId, time, JSON.stringify(change(parse(row.doc))), Date.now())
    return true
  })
  let closed = false
  const inserts = createGroupCommit(db, 'outbox enqueue', (r: Reading): 'inserted' | 'duplicate' =>
    stmts.insert.run(r.stationId, r.time, JSON.stringify(r), Date.now()).changes === 1 ? 'inserted' : 'duplicate')

  return {
    async enqueue (r) {
      if (closed) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'outbox is closed')
      return await inserts.submit(r)
    },
    pending: (limit, afterId = 0) => wrap('read pending', () => stmts.pending.all(afterId, limit).map(row => ({ id: row.id, attempts: row.attempts, reading: parse(row.doc) }))),
    markDelivered: (ids, at) => { wrap('mark delivered', () => { markDelivered(ids, at) }) },
    markFailedAttempt: (ids, error) => { wrap('mark failed', () => { markFailed(ids, error.slice(0, 500)) }) },
    markRejected: (id, error) => { wrap('mark rejected', () => stmts.rejected.run(error.slice(0, 500), id)) },
    revise: (stationId, time, change) => wrap('revise', () => revise(stationId, time, change)),
    inRange: (stationId, from, to, onlyUndelivered) => wrap('range', () =>
      (onlyUndelivered ? stmts.rangeUndelivered : stmts.range).all(stationId, from, to).map(row => parse(row.doc))),
    latest: () => wrap('latest', () => {
      const out = new Map<string, Reading>()
      for (const row of stmts.latest.all()) {
        let r = parse(row.doc)
        if (!Number.isFinite(r.level) && !('detection' in r)) {
          // the newest row is a gap (flag 9): the newest level is further back
          const older = stmts.latestLevel.get(row.station_id)
          if (older === undefined) continue
          r = parse(older.doc)
        }
        out.set(row.station_id, r)
      }
      return out
    }),
    prune: before => wrap('prune', () => stmts.prune.run(before).changes),
    counts () {
      const out: OutboxCounts = { pending: 0, delivered: 0, rejected: 0 }
      for (const row of wrap('count', () => stmts.counts.all())) {
        if (row.state === OUTBOX_STATE.pending) out.pending = row.n
        else if (row.state === OUTBOX_STATE.delivered) out.delivered = row.n
        else if (row.state === OUTBOX_STATE.rejected) out.rejected = row.n
      }
      return out
    },
    close () {
      if (closed) return
      closed = true
      handle.release()
    }
  }
}
