import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { ADMIN, SIGNED_IN, type Role } from './access.js'
import { AuditBody, MeBody, RoleSchema, TokenBody, TokenCreatedBody, UserBody } from '../../contract/auth.js'
import { ErrorBody, NoContent } from '../../contract/schemas.js'
import { MAX_PASSWORD, type Accounts, type User } from './accounts.js'
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

const Username = Type.String({ minLength: 1, maxLength: 64 })
const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD })

export const userView = (u: User) => ({
  id: u.id,
  username: u.username,
  role: u.role,
  hunterId: u.hunterId,
  disabled: u.disabled,
  createdAt: new Date(u.createdAt).toISOString(),
  updatedAt: new Date(u.updatedAt).toISOString()
})

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

/** Sign-in, sign-out, who am I, own password; user and token administration for admins. */
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

  // ---- admin: users, tokens, audit log ----
  // `locked`: refusing sign-in from clients the account has not used before (failed guesses; unlock below)
  app.get('/api/admin/users', { config: { access: ADMIN }, schema: { response: { 200: Type.Array(UserBody) } } }, async () => accounts.listUsers().map(u => ({ ...userView(u), locked: guard.isLocked(u.username) })))

  app.post('/api/admin/users', {
    config: { access: ADMIN, audit: 'user.add' },
    schema: { body: Type.Object({ username: Username, role: RoleSchema, password: Password, hunterId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }), response: { 201: UserBody, 400: ErrorBody, 409: ErrorBody } }
  }, async (request, reply) => {
    const b = request.body
    const u = await accounts.addUser({ username: b.username, role: b.role as Role, password: b.password, hunterId: b.hunterId ?? null })
    return await reply.status(201).send(userView(u))
  })

  app.post('/api/admin/users/:username/disable', {
    config: { access: ADMIN, audit: 'user.disable' },
    schema: { params: Type.Object({ username: Username }), response: { 200: UserBody, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    if (request.params.username.toLowerCase() === request.principal!.username.toLowerCase()) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'an admin cannot disable their own account')
    return userView(accounts.setDisabled(request.params.username, true))
  })

  app.post('/api/admin/users/:username/enable', {
    config: { access: ADMIN, audit: 'user.enable' },
    schema: { params: Type.Object({ username: Username }), response: { 200: UserBody, 404: ErrorBody } }
  }, async (request) => userView(accounts.setDisabled(request.params.username, false)))

  // lifts the sign-in lock of an account under attack (the CLI's `mimamori user unlock` does it through the audit log)
  app.post('/api/admin/users/:username/unlock', {
    config: { access: ADMIN, audit: 'user.unlock' },
    schema: { params: Type.Object({ username: Username }), response: { 200: UserBody, 404: ErrorBody } }
  }, async (request) => {
    const u = accounts.byName(request.params.username)
    if (u === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no user ${request.params.username}`)
    guard.unlock(u.username)
    metrics.unlocked('admin')
    return { ...userView(u), locked: false }
  })

  app.post('/api/admin/users/:username/password', {
    config: { access: ADMIN, audit: 'user.password' },
    schema: { params: Type.Object({ username: Username }), body: Type.Object({ password: Password }, { additionalProperties: false }), response: { 200: UserBody, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => userView(await accounts.setPassword(request.params.username, request.body.password)))

  app.get('/api/admin/tokens', { config: { access: ADMIN }, schema: { response: { 200: Type.Array(TokenBody) } } }, async () => accounts.listTokens().map(t => ({
    ...t, createdAt: iso(t.createdAt), expiresAt: iso(t.expiresAt), lastUsedAt: t.lastUsedAt === null ? null : iso(t.lastUsedAt)
  })))

  app.post('/api/admin/tokens', {
    config: { access: ADMIN, audit: 'token.create' },
    schema: {
      body: Type.Object({
        username: Username,
        name: Type.String({ minLength: 1, maxLength: 100 }),
        scope: Type.Union([Type.Literal('read'), Type.Literal('write')], { default: 'read' }),
        days: Type.Integer({ minimum: 1, maximum: 366, default: 90 })
      }, { additionalProperties: false }),
      response: { 201: TokenCreatedBody, 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request, reply) => {
    const b = request.body
    const { token, info } = accounts.createToken({ username: b.username, name: b.name, scope: b.scope, expiresAt: Date.now() + b.days * 86_400_000 })
    return await reply.status(201).send({ token, id: info.id, scope: info.scope, expiresAt: iso(info.expiresAt) })
  })

  app.delete('/api/admin/tokens/:id', {
    config: { access: ADMIN, audit: 'token.revoke' },
    schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }), response: { 204: NoContent, 404: ErrorBody } }
  }, async (request, reply) => {
    if (!accounts.revokeToken(request.params.id)) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no token ${request.params.id}`)
    return await reply.status(204).send()
  })

  app.get('/api/admin/audit', {
    config: { access: ADMIN },
    schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }), before: Type.Optional(Type.Integer({ minimum: 1 })), action: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }), response: { 200: Type.Array(AuditBody) } }
  }, async (request) => audit.list(request.query).map(e => ({ ...e, at: iso(e.at) })))
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
