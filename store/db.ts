import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { MimamoriError } from '../core/errors.js'
import { migrateParts, type PartSchema } from './parts.js'

/**
 * One connection per database file per thread, shared by every part of the
 * process that keeps tables in it (store, outbox, fleet, official, wildlife,
 * alerts, notify, accounts, broker registry). Why one:
 * - a part can call another part's function inside its own transaction (alerts
 *   hand their notifications to notify in the transition's transaction), which
 *   only works when both write through the same connection;
 * - pragmas are set in one place;
 * - seven connections to one file were seven WAL readers and seven page caches.
 *
 * The registry is module state, and module state is per thread: a worker thread
 * (the broker thread) that opens the same file gets its own connection, as it must
 * (a better-sqlite3 connection cannot cross threads). ':memory:' is never shared:
 * each open is a database of its own, as before.
 *
 * Handles are counted: each `openDatabase` must be paired with one `release()`;
 * the connection closes with the last one. A part never calls `db.close()`.
 */
export interface DbHandle {
  readonly db: Database.Database
  /** absolute path, or ':memory:' */
  readonly file: string
  /** gives this reference back; the last one closes the connection. Idempotent per handle. */
  release(): void
}

export interface OpenDatabaseOptions {
  /** what the caller keeps in the file, for the error message ("outbox", "device registry") */
  what?: string
  /**
   * NORMAL in WAL keeps every committed transaction across a process crash (only
   * an OS crash can lose the last moments); FULL also survives a power cut, for
   * rows whose commit releases an MQTT PUBACK (the outbox). The connection is
   * shared, so the strongest level any holder asked for applies to all.
   */
  synchronous?: 'NORMAL' | 'FULL'
}

interface Shared { db: Database.Database, refs: number, full: boolean }
const open = new Map<string, Shared>()

/** the number of connections this thread holds open (tests check that parts share one) */
export function openConnections (): number {
  return open.size
}

export function openDatabase (file: string, { what = 'database', synchronous = 'NORMAL' }: OpenDatabaseOptions = {}): DbHandle {
  const key = file === ':memory:' ? file : resolve(file)
  let shared = key === ':memory:' ? undefined : open.get(key)
  if (shared === undefined || !shared.db.open) {
    shared = { db: connect(key, what), refs: 0, full: false }
    if (key !== ':memory:') open.set(key, shared)
  }
  if (synchronous === 'FULL' && !shared.full) {
    shared.db.pragma('synchronous = FULL')
    shared.full = true
  }
  shared.refs++
  const s = shared
  let released = false
  return {
    db: s.db,
    file: key,
    release () {
      if (released) return
      released = true
      s.refs--
      if (s.refs > 0) return
      if (open.get(key) === s) open.delete(key)
      if (s.db.open) s.db.close()
    }
  }
}

/**
 * Opens the shared handle and brings the given parts' tables up to date: what
 * every part does when it opens (its own part, plus the parts whose tables it
 * reads). A part refusing (a database newer than the code) releases the handle.
 */
export function openParts (file: string, parts: readonly PartSchema[], options: OpenDatabaseOptions = {}): DbHandle {
  const handle = openDatabase(file, options)
  try {
    migrateParts(handle.db, parts)
    return handle
  } catch (err) {
    handle.release()
    if (err instanceof MimamoriError) throw err
    throw new MimamoriError('MIMAMORI_ERR_STORE', `cannot migrate ${options.what ?? 'database'} in ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** WAL pages before SQLite checkpoints on commit (default 1 000); ≈ 40 MB of WAL at 4 KiB pages */
const WAL_CHECKPOINT_PAGES = 10_000

function connect (file: string, what: string): Database.Database {
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    const db = new Database(file)
    // WAL so readers in other processes never block the writer; a busy timeout so two
    // processes' writers wait for each other instead of failing
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    // Readings are clustered by (station, time), so a commit of readings from a thousand gauges dirties about
    // a leaf page per gauge. SQLite's default checkpoint (every 1 000 WAL pages, ≈ 4 MB) then copied that
    // working set back into the database file after nearly every commit; at 10 000 pages a page written by
    // several commits is copied once. Commit durability is the WAL's, unchanged (bench/README.md § bench/ingest).
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
    // hunter_areas → hunters cascades; no other table declares a foreign key
    db.pragma('foreign_keys = ON')
    return db
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_STORE', `cannot open ${what} in ${file}: ${(err as Error).message}`, { cause: err })
  }
}
