import type { FastifyError, FastifyInstance } from 'fastify'
import { MimamoriError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'

/**
 * Every error leaves the API as `{ code, message }` with a MIMAMORI_ERR_* code,
 * so clients never parse prose. Validation failures name the parameter.
 */
export function registerErrorHandling (app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError | MimamoriError, request, reply) => {
    if (err instanceof MimamoriError) {
      if (err.statusCode >= 500) log.error({ err, url: request.url }, 'request failed')
      return reply.status(err.statusCode).send(err.toJSON())
    }
    if (err.validation !== undefined) {
      const where = err.validationContext ?? 'request'
      const first = err.validation[0]
      const param = first === undefined ? '' : first.instancePath.replace(/^\//, '') || (first.params as { missingProperty?: string }).missingProperty || ''
      const message = `${where}${param === '' ? '' : '.' + param} ${first?.message ?? 'is invalid'}`
      return reply.status(400).send({ code: 'MIMAMORI_ERR_BAD_REQUEST', message })
    }
    const status = err.statusCode ?? 500
    if (status >= 500) {
      log.error({ err, url: request.url }, 'request failed')
      return reply.status(500).send({ code: 'MIMAMORI_ERR_INTERNAL', message: 'internal error' })
    }
    // Fastify's own client errors (bad JSON body, unsupported media type, …)
    return reply.status(status).send({ code: 'MIMAMORI_ERR_BAD_REQUEST', message: err.message })
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({ code: 'MIMAMORI_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` })
  })
}
