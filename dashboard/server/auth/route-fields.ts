import { Type } from 'typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MAX_PASSWORD, type User } from './accounts.js'

/** the Fastify instance the auth route groups register on (one plugin scope) */
export type AuthApp = Parameters<FastifyPluginAsyncTypebox>[0]

export const Username = Type.String({ minLength: 1, maxLength: 64 })
export const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD })

export const userView = (u: User) => ({
  id: u.id,
  username: u.username,
  role: u.role,
  hunterId: u.hunterId,
  disabled: u.disabled,
  createdAt: new Date(u.createdAt).toISOString(),
  updatedAt: new Date(u.updatedAt).toISOString()
})

export function iso (ms: number): string {
  return new Date(ms).toISOString()
}
