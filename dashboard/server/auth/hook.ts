import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MimamoriError } from '../../../core/errors.js'
import type { Logger } from '../../../core/logger.js'
import { allows, type Principal } from './access.js'
import type { Accounts, User } from './accounts.js'
import type { AuditLog } from './audit.js'
import type { StreamLimits } from './limiter.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const LOOPBACK_PEERS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
/** body fields never written to the audit log */
const SECRET_FIELD = /pass|secret|token/i

export interface AuthHookDeps {
  accounts: Accounts
  audit: AuditLog
  streams: StreamLimits
  logger: Logger
}

/** the TCP peer is this machine (the socket's own address: never X-Forwarded-For, never Host) */
export function isLoopbackPeer (address: string | undefined): boolean {
  return address !== undefined && LOOPBACK_PEERS.has(address)
}

export function principalOf (user: User, via: Principal['via'], scope: Principal['scope'] = 'write'): Principal {
  return { userId: user.id, username: user.username, role: user.role, hunterId: user.hunterId, via, scope }
}

export function newCsrfToken (): string {
  return randomBytes(24).toString('base64url')
}

function sameToken (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The one place that decides who may call what: every route's `config.access`
 * (auth/access.ts), read before the body is parsed. Also the CSRF check for
 * cookie-authorised writes, the SSE caps and the audit of every write.
 */
export function registerAuthHook (app: FastifyInstance, { accounts, audit, streams, logger }: AuthHookDeps): void {
  const log = logger.child({ component: 'auth' })
  app.decorateRequest('principal', null)

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions
    // no route matched: the 404 handler answers, and says nothing about what exists
    if (route.url === undefined) return
    const access = route.config.access
    const unsafe = !SAFE_METHODS.has(request.method)

    // a browser tells where a request comes from; another site's page never writes here
    if (unsafe) {
      const origin = request.headers.origin
      if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) throw new MimamoriError('MIMAMORI_ERR_CSRF', `origin ${origin} is not this dashboard`)
      if (request.headers['sec-fetch-site'] === 'cross-site') throw new MimamoriError('MIMAMORI_ERR_CSRF', 'cross-site request refused')
    }

    request.principal = resolvePrincipal(request)
    if (access === 'public') return
    if (access === undefined) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `route ${request.method} ${route.url} declares no access`)
    const p = request.principal
    if (p === null) throw new MimamoriError('MIMAMORI_ERR_UNAUTHENTICATED')
    if (!allows(access, p.role)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `role ${p.role} may not ${request.method} ${route.url}`)
    if (unsafe && p.scope === 'read') throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'this API token is read-only')
    if (unsafe && p.via !== 'token') {
      const sent = request.headers['x-csrf-token']
      const expected = request.session.get('csrf')
      if (typeof sent !== 'string' || expected === undefined || !sameToken(sent, expected)) throw new MimamoriError('MIMAMORI_ERR_CSRF', 'x-csrf-token header missing or wrong (GET /api/auth/me gives it)')
    }
    if (route.config.stream === true) {
      const release = streams.acquire(p.userId)
      if (release === undefined) {
        void reply.header('retry-after', '30')
        throw new MimamoriError('MIMAMORI_ERR_TOO_MANY_STREAMS')
      }
      request.raw.once('close', release)
    }
  })

  function resolvePrincipal (request: FastifyRequest): Principal | null {
    const authz = request.headers.authorization
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz)
      const found = m === null ? undefined : accounts.verifyToken(m[1]!)
      // a wrong token is an error, not "anonymous": a script must learn its token expired
      if (found === undefined) throw new MimamoriError('MIMAMORI_ERR_UNAUTHENTICATED', 'API token unknown, revoked or expired')
      return principalOf(found.user, 'token', found.token.scope)
    }
    const session = request.session
    const userId = session.get('userId')
    if (userId !== undefined) {
      const user = accounts.getUser(userId)
      const demo = session.get('demo') === true
      // a demo session (from the one-time link, demo-routes.ts) counts only in a browser on this machine
      if (demo && !isLoopbackPeer(request.socket.remoteAddress)) return null
      if (user !== undefined && !user.disabled) return principalOf(user, demo ? 'demo' : 'session')
      void session.destroy().catch(() => { /* gone already */ })
      return null
    }
    return null
  }

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions
    if (route.url === undefined || SAFE_METHODS.has(request.method)) return
    const p = request.principal
    try {
      audit.record({
        actor: p?.username ?? null,
        role: p?.role ?? null,
        via: p?.via ?? null,
        ip: request.ip,
        action: route.config.audit ?? `${request.method} ${route.url}`,
        subject: subjectOf(request.params),
        detail: { status: reply.statusCode, ...(request.body !== undefined && request.body !== null ? { body: redact(request.body) } : {}) }
      })
    } catch (err) {
      log.error({ err }, 'audit record failed')
    }
  })
}

function subjectOf (params: unknown): string | null {
  if (params === null || typeof params !== 'object') return null
  const values = Object.values(params as Record<string, unknown>).filter(v => typeof v === 'string')
  return values.length === 0 ? null : values.join('/')
}

function redact (body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '***' : v]))
}
