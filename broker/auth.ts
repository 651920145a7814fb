import { createHash, timingSafeEqual } from 'node:crypto'
import type { Client } from 'aedes'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { DeviceKind } from '../core/topics.js'
import { clientIdAllowed, type Identity } from './acl.js'
import { createAuthGuard, type AuthGuard } from './auth-guard.js'
import type { AccountRole, DeviceRegistry } from './registry.js'
import { randomSecret } from '../core/secret.js'

/** CONNACK return codes of MQTT 3.1.1 */
const BAD_CREDENTIALS = 4
const NOT_AUTHORIZED = 5

export type AuthFailure = 'anonymous_refused' | 'bad_credentials' | 'client_id_mismatch' | 'rate_limited'

export interface Authenticator {
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<{ ok: true, identity: Identity } | { ok: false, reason: AuthFailure, returnCode: number }>
  identityOf(client: Client): Identity | undefined
  /**
   * Who a client id belongs to when its connection is gone (a dead broker's will):
   * this process's own credentials, then the registry (not revoked), then anonymous when allowed.
   */
  identityFor(clientId: string): Identity | undefined
  forget(client: Client): void
  /**
   * Credentials that live only in this process (the all-in-one's own ingest
   * and demo fleet): random, never written anywhere, gone on restart.
   */
  issueInternal(role: AccountRole, id: string, kind?: DeviceKind): { username: string, password: string }
  readonly failures: Readonly<Record<AuthFailure, number>>
  /** how CONNECT secrets were judged (/metrics): full checks run, known-good hits, checks refused unchecked, old-form secrets migrated */
  readonly checks: Readonly<AuthChecks>
  /** admin: clears brute-force limits for an address or account id, all when omitted */
  unlock(target?: string): number
  readonly guard: AuthGuard
}

export interface AuthChecks { full: number, knownGood: number, skippedAddress: number, skippedDevice: number, migrated: number }

interface Internal { identity: Identity, digest: Buffer }

export function clientAddress (client: Client): string {
  const conn = client.conn as { remoteAddress?: string }
  return client.req?.socket?.remoteAddress ?? conn.remoteAddress ?? 'unknown'
}

/**
 * authenticate: anonymous only when allowed; otherwise username = account id,
 * password = its secret, and the client id must belong to the account. A secret
 * that verified before against the same stored hash passes from the known-good
 * cache; any other goes through the brute-force guard (broker/auth-guard.ts: per
 * address budget counted before the check, per account back-off) to the registry's
 * full check (fast keyed hash, or scrypt for an account not yet migrated). Failures
 * are counted by reason; the secret is never logged, the username only at debug.
 */
export function createAuthenticator ({ config, registry, logger }: { config: Pick<Config, 'broker'>, registry: DeviceRegistry, logger: Logger }): Authenticator {
  const log = logger.child({ component: 'auth' })
  const identities = new WeakMap<Client, Identity>()
  const internal = new Map<string, Internal>()
  const failures: Record<AuthFailure, number> = { anonymous_refused: 0, bad_credentials: 0, client_id_mismatch: 0, rate_limited: 0 }
  const checks: AuthChecks = { full: 0, knownGood: 0, skippedAddress: 0, skippedDevice: 0, migrated: 0 }
  const { authFailures, authDeviceFailures, authWindowMs } = config.broker.limits
  const guard = createAuthGuard({ checksPerAddress: authFailures, deviceFailures: authDeviceFailures, windowMs: authWindowMs })
  const sha = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest()

  const fail = (address: string, reason: AuthFailure, returnCode: number, clientId: string): { ok: false, reason: AuthFailure, returnCode: number } => {
    failures[reason]++
    log.debug({ address, clientId, reason }, 'MQTT authentication refused')
    return { ok: false, reason, returnCode }
  }

  /** the registry's account for this secret: known-good cache first, then a guarded full check */
  async function check (address: string, username: string, secret: Buffer): Promise<Identity | AuthFailure> {
    const known = registry.credential(username)
    let account
    if (guard.knownGood(username, secret, known?.stored)) {
      checks.knownGood++
      account = known?.account
    } else {
      const refused = guard.admit(address, username)
      if (refused !== undefined) {
        if (refused === 'address_limited') checks.skippedAddress++
        else checks.skippedDevice++
        return 'rate_limited'
      }
      checks.full++
      // the account read above, not read again
      const verified = await registry.verify(username, secret.toString('utf8'), { found: known })
      guard.settle(address, username, verified !== undefined)
      if (verified === undefined) return 'bad_credentials'
      if (verified.migrated) checks.migrated++
      guard.remember(username, secret, verified.stored)
      account = verified.account
    }
    if (account === undefined || account.revokedAt !== null) return 'bad_credentials'
    return account.role === 'device'
      ? { role: 'device', id: account.id, kind: account.kind ?? 'gauge' }
      : { role: account.role, id: account.id }
  }

  return {
    failures,
    checks,
    guard,
    unlock: target => guard.unlock(target),
    identityOf: client => identities.get(client),
    forget: client => { identities.delete(client) },

    identityFor (clientId) {
      // a service's client id is its account id or starts with "<id>-"
      for (let id = clientId; id !== ''; id = id.slice(0, Math.max(0, id.lastIndexOf('-')))) {
        const own = internal.get(id)?.identity
        if (own !== undefined && clientIdAllowed(own, clientId)) return own
        const a = registry.get(id)
        if (a === undefined || a.revokedAt !== null) continue
        const identity: Identity = a.role === 'device' ? { role: 'device', id: a.id, kind: a.kind ?? 'gauge' } : { role: a.role, id: a.id }
        if (clientIdAllowed(identity, clientId)) return identity
      }
      return config.broker.allowAnonymous ? { role: 'anonymous' } : undefined
    },

    issueInternal (role, id, kind) {
      const password = randomSecret(24)
      const identity: Identity = role === 'device'
        ? { role: 'device', id, kind: kind ?? 'gauge' }
        : { role, id }
      internal.set(id, { identity, digest: sha(password) })
      return { username: id, password }
    },

    async authenticate (client, username, password) {
      const address = clientAddress(client)
      if (username === undefined || username === '') {
        if (!config.broker.allowAnonymous) return fail(address, 'anonymous_refused', NOT_AUTHORIZED, client.id)
        const identity: Identity = { role: 'anonymous' }
        identities.set(client, identity)
        return { ok: true, identity }
      }
      const secret = password ?? Buffer.alloc(0)
      const own = internal.get(username)
      const found = own !== undefined && timingSafeEqual(own.digest, sha(secret)) ? own.identity : await check(address, username, secret)
      if (found === 'rate_limited') return fail(address, 'rate_limited', NOT_AUTHORIZED, client.id)
      if (typeof found === 'string') return fail(address, 'bad_credentials', BAD_CREDENTIALS, client.id)
      const identity = found
      if (!clientIdAllowed(identity, client.id)) return fail(address, 'client_id_mismatch', NOT_AUTHORIZED, client.id)
      identities.set(client, identity)
      // last seen: in memory, written in batches by the registry (no disk write per CONNECT)
      if (identity.role === 'device' && own === undefined) registry.touch(identity.id, Date.now())
      return { ok: true, identity }
    }
  }
}
