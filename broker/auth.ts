import { createHash, timingSafeEqual } from 'node:crypto'
import type { Client } from 'aedes'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { DeviceKind } from '../core/topics.js'
import { clientIdAllowed, type Identity } from './acl.js'
import { createFailureLimiter } from './limits.js'
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
}

interface Internal { identity: Identity, digest: Buffer }

export function clientAddress (client: Client): string {
  const conn = client.conn as { remoteAddress?: string }
  return client.req?.socket?.remoteAddress ?? conn.remoteAddress ?? 'unknown'
}

/**
 * authenticate: anonymous only when allowed; otherwise username = account id,
 * password = its secret (scrypt-verified by the registry, constant time), and
 * the client id must belong to the account. Failures are counted by reason and
 * rate-limited per address; the secret is never logged, the username only at debug.
 */
export function createAuthenticator ({ config, registry, logger }: { config: Pick<Config, 'broker'>, registry: DeviceRegistry, logger: Logger }): Authenticator {
  const log = logger.child({ component: 'auth' })
  const identities = new WeakMap<Client, Identity>()
  const internal = new Map<string, Internal>()
  const failures: Record<AuthFailure, number> = { anonymous_refused: 0, bad_credentials: 0, client_id_mismatch: 0, rate_limited: 0 }
  const limiter = createFailureLimiter({ max: config.broker.limits.authFailures, windowMs: config.broker.limits.authWindowMs })
  const sha = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest()

  const fail = (address: string, reason: AuthFailure, returnCode: number, clientId: string): { ok: false, reason: AuthFailure, returnCode: number } => {
    failures[reason]++
    if (reason !== 'rate_limited') limiter.fail(address)
    log.debug({ address, clientId, reason }, 'MQTT authentication refused')
    return { ok: false, reason, returnCode }
  }

  return {
    failures,
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
      if (limiter.blocked(address)) return fail(address, 'rate_limited', NOT_AUTHORIZED, client.id)
      if (username === undefined || username === '') {
        if (!config.broker.allowAnonymous) return fail(address, 'anonymous_refused', NOT_AUTHORIZED, client.id)
        const identity: Identity = { role: 'anonymous' }
        identities.set(client, identity)
        return { ok: true, identity }
      }
      const secret = password ?? Buffer.alloc(0)
      let identity: Identity | undefined
      const own = internal.get(username)
      if (own !== undefined && timingSafeEqual(own.digest, sha(secret))) {
        identity = own.identity
      } else {
        const account = await registry.verify(username, secret.toString('utf8'))
        if (account !== undefined) {
          identity = account.role === 'device'
            ? { role: 'device', id: account.id, kind: account.kind ?? 'gauge' }
            : { role: account.role, id: account.id }
        }
      }
      if (identity === undefined) return fail(address, 'bad_credentials', BAD_CREDENTIALS, client.id)
      if (!clientIdAllowed(identity, client.id)) return fail(address, 'client_id_mismatch', NOT_AUTHORIZED, client.id)
      limiter.succeed(address)
      identities.set(client, identity)
      if (identity.role === 'device' && own === undefined) registry.touch(identity.id, Date.now())
      return { ok: true, identity }
    }
  }
}
