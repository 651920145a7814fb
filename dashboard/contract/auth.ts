import { Type } from 'typebox'
import { RECIPIENT_ROLES, ROLES, type RecipientRole, type Role } from './roles.js'

/** Accounts, sessions, tokens and the audit log (dashboard/server/auth/routes.ts). */
// built from the one list; Unsafe keeps the literal type that Array.map loses
export const RoleSchema = Type.Unsafe<Role>(Type.Union(ROLES.map(r => Type.Literal(r))))
/** a notification recipient: a role, or 'public' (a public outlet) */
export const RecipientRoleSchema = Type.Unsafe<RecipientRole>(Type.Union(RECIPIENT_ROLES.map(r => Type.Literal(r))))

const Time = Type.String({ format: 'date-time' })
const NullableString = Type.Union([Type.String(), Type.Null()])

/** GET /api/auth/me: who is signed in, and the CSRF token a browser sends back on every write */
export const MeBody = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  hunterId: NullableString,
  via: Type.Union([Type.Literal('session'), Type.Literal('token'), Type.Literal('demo')]),
  demo: Type.Boolean(),
  csrfToken: Type.Union([Type.String(), Type.Null()], { description: 'null for API tokens (no CSRF check)' })
})

export const UserBody = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  hunterId: NullableString,
  disabled: Type.Boolean(),
  createdAt: Time,
  updatedAt: Time,
  locked: Type.Optional(Type.Boolean({ description: 'refusing sign-in from clients the account has not used before (failed guesses); the admin list and unlock say' }))
})

export const TokenBody = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  scope: Type.Union([Type.Literal('read'), Type.Literal('write')]),
  createdAt: Time,
  expiresAt: Time,
  lastUsedAt: Type.Union([Time, Type.Null()]),
  revoked: Type.Boolean()
})

export const TokenCreatedBody = Type.Object({
  token: Type.String({ description: 'shown once; only its hash is kept' }),
  id: Type.String(),
  scope: Type.Union([Type.Literal('read'), Type.Literal('write')]),
  expiresAt: Time
})

export const AuditBody = Type.Object({
  id: Type.Integer(),
  at: Time,
  actor: Type.Union([Type.String(), Type.Null()], { description: 'null: the CLI run by the operating-system user' }),
  role: NullableString,
  via: NullableString,
  ip: NullableString,
  action: Type.String({ description: 'e.g. alert.ack, downlink.send, user.add, login.fail' }),
  subject: NullableString,
  detail: Type.Record(Type.String(), Type.Unknown())
})
