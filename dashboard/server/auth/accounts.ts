import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type Database from 'better-sqlite3'
import { dummyHash, hashSecret, verifySecret } from '../../../core/secret-hash.js'
import { MimamoriError } from '../../../core/errors.js'
import { openParts } from '../../../store/db.js'
import { ACCOUNTS_PART } from './schema.js'
import { ROLES, type Role } from './access.js'
import { randomSecret } from '../../../core/secret.js'

export interface User {
  id: string
  username: string
  role: Role
  /** a hunter account is bound to one hunter profile (ingest/wildlife) */
  hunterId: string | null
  disabled: boolean
  createdAt: number
  updatedAt: number
}

export interface ApiToken {
  id: string
  userId: string
  name: string
  scope: 'read' | 'write'
  createdAt: number
  expiresAt: number
  lastUsedAt: number | null
  revoked: boolean
}

export interface Accounts {
  readonly db: Database.Database
  addUser(u: { username: string, role: Role, password: string, hunterId?: string | null }): Promise<User>
  getUser(id: string): User | undefined
  byName(username: string): User | undefined
  listUsers(): User[]
  setPassword(username: string, password: string): Promise<User>
  /** disabling ends the user's sessions and revokes all their API tokens (re-enabling revives none) */
  setDisabled(username: string, disabled: boolean): User
  /** true when an enabled admin exists (the dashboard refuses a non-loopback bind without one) */
  hasAdmin(): boolean
  /**
   * The user when name and password match an enabled account, else undefined. An unknown
   * name is verified against a dummy hash, so both failures cost one scrypt.
   */
  verifyLogin(username: string, password: string): Promise<User | undefined>
  /** returns the token text once (`mmr_<id>_<secret>`); only its SHA-256 is kept */
  createToken(t: { username: string, name: string, scope: 'read' | 'write', expiresAt: number }): { token: string, info: ApiToken }
  listTokens(username?: string): ApiToken[]
  revokeToken(id: string): boolean
  /** the token's owner and scope when valid, enabled and unexpired */
  verifyToken(token: string, now?: number): { user: User, token: ApiToken } | undefined
  close(): void
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/
export const MIN_PASSWORD = 10
export const MAX_PASSWORD = 256

interface UserRow { id: string, username: string, role: string, password_hash: string, hunter_id: string | null, disabled: number, created_at: number, updated_at: number }
interface TokenRow { id: string, user_id: string, name: string, secret_sha256: string, scope: string, created_at: number, expires_at: number, last_used_at: number | null, revoked: number }

const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, role: r.role as Role, hunterId: r.hunter_id, disabled: r.disabled === 1, createdAt: r.created_at, updatedAt: r.updated_at })
const toToken = (r: TokenRow): ApiToken => ({ id: r.id, userId: r.user_id, name: r.name, scope: r.scope === 'write' ? 'write' : 'read', createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revoked: r.revoked === 1 })
const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

export function checkPassword (password: string): void {
  if (password.length < MIN_PASSWORD) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `password must be at least ${MIN_PASSWORD} characters`)
  if (password.length > MAX_PASSWORD) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `password must be at most ${MAX_PASSWORD} characters`)
}

/**
 * Users and API tokens in the embedded database (the CLI and the dashboard open the same file); the
 * accounts part (schema.ts) also owns sessions (session-store.ts) and audit_log (audit.ts), which use `db`.
 */
export function openAccounts (file: string): Accounts {
  const handle = openParts(file, [ACCOUNTS_PART], { what: 'dashboard accounts' })
  const db = handle.db
  const q = {
    insert: db.prepare('INSERT INTO users (id, username, role, password_hash, hunter_id, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)'),
    byId: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
    byName: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    list: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username'),
    password: db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?'),
    disabled: db.prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?'),
    hasAdmin: db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0"),
    dropSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    tokenInsert: db.prepare('INSERT INTO api_tokens (id, user_id, name, secret_sha256, scope, created_at, expires_at, last_used_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0)'),
    tokenById: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?'),
    tokens: db.prepare<[], TokenRow>('SELECT * FROM api_tokens ORDER BY created_at'),
    tokensOf: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at'),
    tokenRevoke: db.prepare('UPDATE api_tokens SET revoked = 1 WHERE id = ?'),
    tokensRevokeOf: db.prepare('UPDATE api_tokens SET revoked = 1 WHERE user_id = ? AND revoked = 0'),
    tokenUsed: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?')
  }
  const need = (username: string): UserRow => {
    const row = q.byName.get(username)
    if (row === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no user ${username}`)
    return row
  }

  return {
    db,
    async addUser ({ username, role, password, hunterId = null }) {
      if (!USERNAME.test(username)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'user name: 1–64 of A-Z a-z 0-9 . _ @ -, starting with a letter or digit')
      if (!ROLES.includes(role)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `role must be one of ${ROLES.join(', ')}`)
      if (role === 'hunter' && (hunterId === null || hunterId === '')) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'a hunter account needs the hunter profile it belongs to (--hunter <id>)')
      if (role !== 'hunter' && hunterId !== null) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'only a hunter account is bound to a hunter profile')
      checkPassword(password)
      if (q.byName.get(username) !== undefined) throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `user ${username} exists`)
      const hash = await hashSecret(password)
      const now = Date.now()
      const id = randomUUID()
      try {
        q.insert.run(id, username, role, hash, hunterId, now, now)
      } catch (err) {
        // two adds of one name at once: the UNIQUE constraint decides
        if (q.byName.get(username) !== undefined) throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `user ${username} exists`)
        throw err
      }
      return toUser(q.byId.get(id)!)
    },
    getUser (id) {
      const r = q.byId.get(id)
      return r === undefined ? undefined : toUser(r)
    },
    byName (username) {
      const r = q.byName.get(username)
      return r === undefined ? undefined : toUser(r)
    },
    listUsers: () => q.list.all().map(toUser),
    async setPassword (username, password) {
      const row = need(username)
      checkPassword(password)
      const hash = await hashSecret(password)
      // a new password ends every session of the account (a stolen cookie stops working)
      db.transaction(() => {
        q.password.run(hash, Date.now(), row.id)
        q.dropSessions.run(row.id)
      })()
      return toUser(q.byId.get(row.id)!)
    },
    setDisabled (username, disabled) {
      const row = need(username)
      db.transaction(() => {
        q.disabled.run(disabled ? 1 : 0, Date.now(), row.id)
        // disabling ends sessions and revokes tokens for good: re-enabling must not revive a token
        // that leaked while the account was off (the admin issues new ones)
        if (disabled) {
          q.dropSessions.run(row.id)
          q.tokensRevokeOf.run(row.id)
        }
      })()
      return toUser(q.byId.get(row.id)!)
    },
    hasAdmin: () => (q.hasAdmin.get()?.n ?? 0) > 0,
    async verifyLogin (username, password) {
      const row = USERNAME.test(username) ? q.byName.get(username) : undefined
      const ok = await verifySecret(password.slice(0, MAX_PASSWORD), row?.password_hash ?? await dummyHash())
      if (row === undefined || !ok || row.disabled === 1) return undefined
      return toUser(row)
    },
    createToken ({ username, name, scope, expiresAt }) {
      const row = need(username)
      if (row.disabled === 1) throw new MimamoriError('MIMAMORI_ERR_DEVICE_REVOKED', `user ${username} is disabled`)
      if (!Number.isFinite(expiresAt) || expiresAt <= Date.now()) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'a token needs an expiry in the future')
      const id = randomBytes(6).toString('hex')
      const secret = randomSecret(24)
      q.tokenInsert.run(id, row.id, name, sha256(secret).toString('hex'), scope, Date.now(), expiresAt)
      return { token: `mmr_${id}_${secret}`, info: toToken(q.tokenById.get(id)!) }
    },
    listTokens (username) {
      return (username === undefined ? q.tokens.all() : q.tokensOf.all(need(username).id)).map(toToken)
    },
    revokeToken: (id) => q.tokenRevoke.run(id).changes > 0,
    verifyToken (token, now = Date.now()) {
      const m = /^mmr_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token)
      if (m === null) return undefined
      const row = q.tokenById.get(m[1]!)
      // compare digests of equal length whatever was sent, so the time says nothing about the secret
      const sent = sha256(m[2]!)
      const stored = row === undefined ? sha256('') : Buffer.from(row.secret_sha256, 'hex')
      if (!timingSafeEqual(sent, stored) || row === undefined) return undefined
      if (row.revoked === 1 || row.expires_at <= now) return undefined
      const user = q.byId.get(row.user_id)
      if (user === undefined || user.disabled === 1) return undefined
      q.tokenUsed.run(now, row.id)
      return { user: toUser(user), token: toToken(row) }
    },
    close () {
      handle.release()
    }
  }
}
