import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { OPERATORS, type Principal } from '../auth/access.js'

/** the Fastify instance the notify route groups register on (one plugin scope) */
export type NotifyApp = Parameters<FastifyPluginAsyncTypebox>[0]

export const Level = Type.Union([Type.Literal(3), Type.Literal(4), Type.Literal(5)], { description: '3 高齢者等避難 / 4 避難指示 / 5 緊急安全確保' })
export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

export function who (request: FastifyRequest): Principal {
  if (request.principal === null) throw new MimamoriError('MIMAMORI_ERR_UNAUTHENTICATED')
  return request.principal
}

export const isOperator = (p: Principal): boolean => OPERATORS.includes(p.role)

