import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { isValidDeviceId, type DeviceKind } from '../core/topics.js'
import { openSqlite } from '../store/sqlite.js'
import { dummyHash, generateSecret, hashSecret, verifySecret } from '../core/secret-hash.js'

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
  /** the account when id and secret match and it is not revoked; same work whether or not the id exists */
  verify(id: string, secret: string): Promise<Account | undefined>
  touch(id: string, time: number): void
  close(): void
}

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

/**
 * MQTT accounts in the embedded database (table mqtt_accounts, migration in
 * store/embedded.ts), so the CLI, the broker and the dashboard share
 * one registry file. Its own connection: SQLite WAL lets the broker read
 * while the CLI adds a device.
 */
export function createDeviceRegistry ({ file, logger }: { file: string, logger: Logger }): DeviceRegistry {
  const log = logger.child({ component: 'registry' })
  const db = openSqlite(file, { what: 'device registry' })
  const stmts = {
    get: db.prepare<[string], Row>('SELECT * FROM mqtt_accounts WHERE id = ?'),
    list: db.prepare<[], Row>('SELECT * FROM mqtt_accounts ORDER BY role, id'),
    insert: db.prepare('INSERT INTO mqtt_accounts (id, role, kind, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    rotate: db.prepare('UPDATE mqtt_accounts SET secret_hash = ?, rotated_at = ?, revoked_at = NULL WHERE id = ?'),
    revoke: db.prepare('UPDATE mqtt_accounts SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touch: db.prepare('UPDATE mqtt_accounts SET last_seen = ? WHERE id = ?')
  }
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
      const hash = await hashSecret(secret)
      stmts.insert.run(a.id, a.role, a.role === 'device' ? a.kind : null, a.stationId ?? null, hash, Date.now())
      log.info({ id: a.id, role: a.role, kind: a.kind }, 'account added')
      return { account: toAccount(mustGet(a.id)), secret }
    },
    async rotate (id, { reactivate = false } = {}) {
      if (mustGet(id).revoked_at !== null && !reactivate) {
        throw new MimamoriError('MIMAMORI_ERR_DEVICE_REVOKED', `"${id}" is revoked; rotate with --reactivate to give it a new secret and let it connect again`)
      }
      const secret = generateSecret()
      stmts.rotate.run(await hashSecret(secret), Date.now(), id)
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
      return row === undefined ? undefined : toAccount(row)
    },
    list () {
      return stmts.list.all().map(toAccount)
    },
    async verify (id, secret) {
      const row = stmts.get.get(id)
      const ok = await verifySecret(secret, row?.secret_hash ?? await dummyHash())
      if (!ok || row === undefined || row.revoked_at !== null) return undefined
      return toAccount(row)
    },
    touch (id, time) {
      try {
        stmts.touch.run(time, id)
      } catch (err) {
        log.warn({ id, err: (err as Error).message }, 'last-seen update failed')
      }
    },
    close () {
      if (db.open) db.close()
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
