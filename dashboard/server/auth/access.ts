/**
 * Route access convention: every Fastify route declares `config: { access }`,
 * and the one auth hook (dashboard/server/auth/hook.ts) enforces it. A route
 * that declares nothing is denied (403), so a forgotten declaration fails closed.
 *
 *   app.get('/api/x', { config: { access: READERS } }, handler)
 *   app.get('/healthz', { config: { access: 'public' } }, handler)
 */

import { ROLES, type Role } from '../../contract/roles.js'

// the role list is declared once, in the API contract (the browser reads the same list)
export { ROLES, type Role }

/** `'public'`: no credentials needed; otherwise the roles that may call the route */
export type Access = 'public' | readonly Role[]

/** 防災担当 and admins: act on alerts and devices */
export const OPERATORS: readonly Role[] = ['admin', 'staff']
/** everyone who may read the river/camera picture (researchers read, never act) */
export const READERS: readonly Role[] = ['admin', 'staff', 'researcher']
/** every signed-in role (hunters included) */
export const SIGNED_IN: readonly Role[] = ROLES
export const ADMIN: readonly Role[] = ['admin']
/** a hunter acting for themself (feedback on an alert delivered to them) */
export const HUNTERS: readonly Role[] = ['hunter']
/** a hunter's own profile, alerts and stream; operators see every hunter's */
export const HUNTER_OR_OPERATOR: readonly Role[] = ['admin', 'staff', 'hunter']

/**
 * Who is calling, set by the auth hook before any handler runs.
 * `hunterId`: the hunter profile a hunter account is bound to (hunters see only their own areas).
 */
export interface Principal {
  userId: string
  username: string
  role: Role
  hunterId: string | null
  /** how the request was authorised: a session cookie (CSRF-checked) or a Bearer API token */
  via: 'session' | 'token' | 'demo'
  /** for tokens: 'read' allows only GET/HEAD */
  scope: 'read' | 'write'
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
    /** a live event stream (SSE): counted against dashboard.sse limits per user and in total */
    stream?: boolean
    /** audit action name for a state-changing route (default: "METHOD /url") */
    audit?: string
  }
  interface FastifyRequest {
    /** set by the auth hook on every non-public route; null on public ones without credentials */
    principal: Principal | null
  }
}

export function allows (access: Access | undefined, role: Role | undefined): boolean {
  if (access === 'public') return true
  if (access === undefined || role === undefined) return false
  return access.includes(role)
}
