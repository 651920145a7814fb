import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { SIGNED_IN } from './access.js'
import { MeBody } from '../../contract/auth.js'
import { ErrorBody, NoContent } from '../../contract/schemas.js'
import type { Accounts } from './accounts.js'
import { Password, Username } from './route-fields.js'
import { adminRoutes } from './admin-routes.js'
import type { AuditLog } from './audit.js'
import { newCsrfToken } from './hook.js'
import { demoRoutes, type DemoRouteOptions } from './demo-routes.js'
import type { KnownDevices } from './known-device.js'
import type { LoginGuard } from './login-guard.js'
import type { AuthMetrics } from './metrics.js'

export interface AuthRouteOptions {
  accounts: Accounts
  audit: AuditLog
  guard: LoginGuard
  known: KnownDevices
  metrics: AuthMetrics
  /** the one-time sign-in link, when dashboard.auth.demoLogin is on */
  demo?: DemoRouteOptions
}

function me (request: FastifyRequest) {
  const p = request.principal!
  return {
    username: p.username,
    role: p.role,
    hunterId: p.hunterId,
    via: p.via,
    demo: p.via === 'demo',
    // scripts with a token need none; a browser sends it back as x-csrf-token on every write
    csrfToken: p.via === 'token' ? null : request.session.get('csrf') ?? null
  }
}

/** Sign-in, sign-out, who am I, own password; user and token administration for admins (admin-routes.ts). */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, { accounts, audit, guard, known, metrics, demo }) => {
  app.post('/api/auth/login', {
    config: { access: 'public', audit: 'login' },
    schema: { body: Type.Object({ username: Username, password: Password }, { additionalProperties: false }), response: { 200: MeBody, 401: ErrorBody, 429: ErrorBody } }
  }, async (request, reply) => {
    const { username, password } = request.body
    // the account's known-device cookie, if this browser signed in to it before (a name lookup, no scrypt)
    const existing = accounts.byName(username)
    const device = existing === undefined ? undefined : known.read(request, existing.id)
    // decided before the password, so a throttled guess costs no scrypt and tells nothing
    const admission = guard.admit({ username, address: request.ip, device })
    if (!admission.ok) {
      metrics.login('throttled')
      metrics.throttled(admission.reason)
      void reply.header('retry-after', String(admission.waitS))
      throw new MimamoriError('MIMAMORI_ERR_RATE_LIMITED', `too many failed sign-ins; try again in ${admission.waitS} s`, { details: { retryAfterS: admission.waitS } })
    }
    const user = await accounts.verifyLogin(username, password)
    admission.settle(user !== undefined)
    if (user === undefined) {
      metrics.login('failure')
      throw new MimamoriError('MIMAMORI_ERR_LOGIN')
    }
    metrics.login('success')
    if (admission.bypassedLock) metrics.knownDevicePassed()
    known.remember(request, reply, user.id)
    // a new id at sign-in: an id planted before (fixation) never becomes a signed-in session
    await request.session.regenerate()
    request.session.set('userId', user.id)
    request.session.set('csrf', newCsrfToken())
    request.principal = { userId: user.id, username: user.username, role: user.role, hunterId: user.hunterId, via: 'session', scope: 'write' }
    return me(request)
  })

  if (demo !== undefined) await app.register(demoRoutes, demo)

  app.post('/api/auth/logout', { config: { access: SIGNED_IN, audit: 'logout' }, schema: { response: { 204: NoContent } } }, async (request, reply) => {
    await request.session.destroy()
    return await reply.status(204).send()
  })

  app.get('/api/auth/me', { config: { access: SIGNED_IN }, schema: { response: { 200: MeBody } } }, async (request) => me(request))

  app.post('/api/auth/password', {
    config: { access: SIGNED_IN, audit: 'user.password.own' },
    schema: { body: Type.Object({ current: Password, password: Password }, { additionalProperties: false }), response: { 204: NoContent, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } }
  }, async (request, reply) => {
    const p = request.principal!
    if (p.via !== 'session') throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'change the password from a signed-in browser session')
    if (await accounts.verifyLogin(p.username, request.body.current) === undefined) throw new MimamoriError('MIMAMORI_ERR_LOGIN', 'current password is wrong')
    await accounts.setPassword(p.username, request.body.password)
    await request.session.destroy()
    return await reply.status(204).send()
  })

  adminRoutes(app, { accounts, audit, guard, metrics })
}
