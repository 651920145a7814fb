import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { ADMIN, type Role } from './access.js'
import { AuditBody, RoleSchema, TokenBody, TokenCreatedBody, UserBody } from '../../contract/auth.js'
import { ErrorBody, NoContent } from '../../contract/schemas.js'
import type { Accounts } from './accounts.js'
import type { AuditLog } from './audit.js'
import type { LoginGuard } from './login-guard.js'
import type { AuthMetrics } from './metrics.js'
import { iso, Password, Username, userView, type AuthApp } from './route-fields.js'

/** Admin only: users (add, disable, enable, unlock, password), API tokens and the audit log. */
export function adminRoutes (app: AuthApp, { accounts, audit, guard, metrics }: { accounts: Accounts, audit: AuditLog, guard: LoginGuard, metrics: AuthMetrics }): void {
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
