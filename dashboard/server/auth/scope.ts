import type { FastifyRequest } from 'fastify'
import { MimamoriError } from '../../../core/errors.js'

/**
 * Row-level scope on top of the role check: a hunter account sees only its own
 * hunter profile and the wildlife data of its own areas. Returns the hunter id
 * the caller is limited to, or undefined for staff, admins and researchers.
 */
export function hunterScope (request: FastifyRequest): string | undefined {
  const p = request.principal
  if (p === null || p.role !== 'hunter') return undefined
  // a hunter account always has a profile (accounts.addUser); a missing one sees nothing
  return p.hunterId ?? '\0none'
}

export function assertOwnHunter (request: FastifyRequest, hunterId: string): void {
  const own = hunterScope(request)
  if (own !== undefined && own !== hunterId) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'a hunter sees only their own profile')
}
