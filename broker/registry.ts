import type Database from 'better-sqlite3'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { isValidDeviceId, type DeviceKind } from '../core/topics.js'
import { openParts } from '../store/db.js'
import { BROKER_PART } from './schema.js'
import { dummyFastHash, dummyHash, generateSecret, hashGeneratedSecret, isFastHash, verifyAnySecret, verifyFastSecret } from '../core/secret-hash.js'

/**
 * device: a gauge or camera; ingest / dashboard / chirpstack: service accounts,
 * allowed by role (broker/acl.ts). chirpstack = a ChirpStack network server's
 * MQTT integration account (publishes LoRaWAN uplink events).
 */
export type AccountRole = 'device' | 'ingest' | 'dashboard' | 'chirpstack'
export const SERVICE_ROLES: readonly AccountRole[] = ['ingest', 'dashboard', 'chirpstack']

export interface Account {
  id: string
  role: AccountRole
  /** devices only */
  kind: DeviceKind | null
  stationId: string | null
  createdAt: number
  rotatedAt: number | null
  revokedAt: number | null
  lastSeen: number | null
}

export interface NewAccount {
  id: string
  role: AccountRole
  kind?: DeviceKind
  stationId?: string
}

export interface DeviceRegistry {
  /** registers and returns the secret, the only time it exists in clear */
  add(a: NewAccount): Promise<{ account: Account, secret: string }>
  /**
   * a new secret; the old one stops working at once. A revoked account is refused
   * (MIMAMORI_ERR_DEVICE_REVOKED) unless `reactivate`: rotating must not undo a revoke by accident.
   */
  rotate(id: string, options?: { reactivate?: boolean }): Promise<{ account: Account, secret: string }>
  revoke(id: string): Account
  get(id: string): Account | undefined
  list(): Account[]
  /**
   * The account when id and secret match and it is not revoked; the same work whether
   * or not the id exists (an unknown id is checked against a dummy hash of the form
   * the registry still holds). A match in the old scrypt form is rewritten in the
   * fast form (`migrated`), the only write a CONNECT makes.
   * `looked`: what `credential(id)` returned a moment ago in the same turn (the CONNECT path reads
   * the account once, not twice: after a restart every CONNECT misses the known-good cache, and a
   * read is a SQLite lookup on a page cache that the other connection's commits keep emptying).
   */
  verify(id: string, secret: string, looked?: { found: Credential | undefined }): Promise<Verified | undefined>
  /** an active account and the stored form of its secret, for a cache of verified secrets to compare against */
  credential(id: string): Credential | undefined
  /** last-seen time; kept in memory and written in batches (one transaction every few seconds, and at close) */
  touch(id: string, time: number): void
  /** accounts whose secret is still stored in the old scrypt form */
  legacyCount(): number
  /** rewrites the old form of every account whose secret is given and matches (`mimamori device migrate-secrets`) */
  migrate(secrets: Array<{ id: string, secret: string }>): Promise<{ migrated: number, alreadyFast: number, mismatched: string[], unknown: string[] }>
  close(): void
}

export interface Verified { account: Account, stored: string, migrated: boolean }
export interface Credential { account: Account, stored: string }

/** how long last-seen times wait in memory before one batched write */
const LAST_SEEN_FLUSH_MS = 2000

interface Row {
  id: string
  role: string
  kind: string | null
  station_id: string | null
  secret_hash: string
  created_at: number
  rotated_at: number | null
  revoked_at: number | null
  last_seen: number | null
}

/** the registry's statements on its own connection */
function prepareStatements (db: Database.Database) {
  return {
    get: db.prepare<[string], Row>('SELECT * FROM mqtt_accounts WHERE id = ?'),
    list: db.prepare<[], Row>('SELECT * FROM mqtt_accounts ORDER BY role, id'),
    insert: db.prepare('INSERT INTO mqtt_accounts (id, role, kind, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    rotate: db.prepare('UPDATE mqtt_accounts SET secret_hash = ?, rotated_at = ?, revoked_at = NULL WHERE id = ?'),
    revoke: db.prepare('UPDATE mqtt_accounts SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touch: db.prepare('UPDATE mqtt_accounts SET last_seen = ? WHERE id = ?'),
    upgrade: db.prepare('UPDATE mqtt_accounts SET secret_hash = ? WHERE id = ? AND secret_hash = ?'),
    legacy: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM mqtt_accounts WHERE secret_hash NOT LIKE 'sha256$%'")
  }
}

/**
 * MQTT accounts in the embedded database (table mqtt_accounts, the broker's
 * part: broker/schema.ts), so the CLI, the broker and the dashboard share one
 * registry file. On the shared handle of this thread (store/db.ts): the broker
 * in a worker thread gets a connection of its own; SQLite WAL lets it read
 * while the CLI adds a device.
 */
export function createDeviceRegistry ({ file, logger }: { file: string, logger: Logger }): DeviceRegistry {
  const log = logger.child({ component: 'registry' })
  const handle = openParts(file, [BROKER_PART], { what: 'device registry' })
  const db = handle.db
  let released = false
  const stmts = prepareStatements(db)
  /** while any old-form secret is stored, an unknown id costs what an old-form one does */
  let legacy = stmts.legacy.get()?.n ?? 0
  const lastSeen = new Map<string, number>()
  let flushTimer: NodeJS.Timeout | undefined
  const flushLastSeen = db.transaction(() => {
    for (const [id, time] of lastSeen) stmts.touch.run(time, id)
    lastSeen.clear()
  })
  const flush = (): void => {
    flushTimer = undefined
    if (released || lastSeen.size === 0) return
    try {
      flushLastSeen()
    } catch (err) {
      log.warn({ err: (err as Error).message, pending: lastSeen.size }, 'last-seen update failed; retried with the next batch')
    }
  }
  const withLastSeen = (r: Row): Row => {
    const t = lastSeen.get(r.id)
    return t === undefined ? r : { ...r, last_seen: t }
  }
  /** old form matched: the fast form replaces it, unless it was rotated meanwhile; the new stored form when it did */
  const upgrade = (id: string, stored: string, secret: string): string | undefined => {
    if (isFastHash(stored)) return undefined
    const fast = hashGeneratedSecret(secret)
    if (stmts.upgrade.run(fast, id, stored).changes === 1) {
      legacy = Math.max(0, legacy - 1)
      log.info({ id }, 'account secret migrated to the fast form')
      return fast
    }
    return undefined
  }
  const credentialOf = (row: Row | undefined): Credential | undefined =>
    row === undefined || row.revoked_at !== null ? undefined : { account: toAccount(withLastSeen(row)), stored: row.secret_hash }
  const mustGet = (id: string): Row => {
    const row = stmts.get.get(id)
    if (row === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no device or account "${id}"`)
    return row
  }

  return {
    async add (a) {
      if (!isValidDeviceId(a.id)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `"${a.id}" is not a valid id (letters, digits, . _ -, at most 64)`)
      if (a.role === 'device' && a.kind === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'a device needs a kind (gauge or camera)')
      if (stmts.get.get(a.id) !== undefined) throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `"${a.id}" is already registered`)
      const secret = generateSecret()
      const hash = hashGeneratedSecret(secret)
      stmts.insert.run(a.id, a.role, a.role === 'device' ? a.kind : null, a.stationId ?? null, hash, Date.now())
      log.info({ id: a.id, role: a.role, kind: a.kind }, 'account added')
      return { account: toAccount(mustGet(a.id)), secret }
    },
    async rotate (id, { reactivate = false } = {}) {
      if (mustGet(id).revoked_at !== null && !reactivate) {
        throw new MimamoriError('MIMAMORI_ERR_DEVICE_REVOKED', `"${id}" is revoked; rotate with --reactivate to give it a new secret and let it connect again`)
      }
      const secret = generateSecret()
      stmts.rotate.run(hashGeneratedSecret(secret), Date.now(), id)
      log.info({ id, reactivated: reactivate }, 'account secret rotated')
      return { account: toAccount(mustGet(id)), secret }
    },
    revoke (id) {
      mustGet(id)
      stmts.revoke.run(Date.now(), id)
      log.info({ id }, 'account revoked')
      return toAccount(mustGet(id))
    },
    get (id) {
      const row = stmts.get.get(id)
      return row === undefined ? undefined : toAccount(withLastSeen(row))
    },
    list () {
      return stmts.list.all().map(r => toAccount(withLastSeen(r)))
    },
    async verify (id, secret, looked) {
      // a revoked account is checked like an unknown id: against a dummy hash, refused the same way
      const found = looked === undefined ? credentialOf(stmts.get.get(id)) : looked.found
      const stored = found?.stored ?? (legacy > 0 ? await dummyHash() : dummyFastHash())
      const ok = isFastHash(stored) ? verifyFastSecret(secret, stored) : await verifyAnySecret(secret, stored)
      if (!ok || found === undefined) return undefined
      const fast = upgrade(id, found.stored, secret)
      return { account: found.account, stored: fast ?? found.stored, migrated: fast !== undefined }
    },
    credential: id => credentialOf(stmts.get.get(id)),
    touch (id, time) {
      lastSeen.set(id, time)
      flushTimer ??= setTimeout(flush, LAST_SEEN_FLUSH_MS).unref()
    },
    legacyCount () {
      return legacy
    },
    async migrate (secrets) {
      const out = { migrated: 0, alreadyFast: 0, mismatched: [] as string[], unknown: [] as string[] }
      for (const { id, secret } of secrets) {
        const row = stmts.get.get(id)
        if (row === undefined) { out.unknown.push(id); continue }
        if (isFastHash(row.secret_hash)) { out.alreadyFast++; continue }
        if (!await verifyAnySecret(secret, row.secret_hash)) { out.mismatched.push(id); continue }
        if (upgrade(row.id, row.secret_hash, secret) !== undefined) out.migrated++
      }
      legacy = stmts.legacy.get()?.n ?? 0
      return out
    },
    close () {
      if (flushTimer !== undefined) clearTimeout(flushTimer)
      flush()
      released = true
      handle.release()
    }
  }
}

function toAccount (r: Row): Account {
  return {
    id: r.id,
    role: r.role as AccountRole,
    kind: r.kind as DeviceKind | null,
    stationId: r.station_id,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
    revokedAt: r.revoked_at,
    lastSeen: r.last_seen
  }
}
