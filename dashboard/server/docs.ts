import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { READERS } from './auth/access.js'

/**
 * OpenAPI 3 generated from the routes' TypeBox schemas, with a UI at /docs.
 * Readers only (admin, staff, researcher): the API shape is no secret, but the
 * "try it out" buttons run as the signed-in user, and hunters have their own page.
 */
export function registerApiCollector (app: FastifyInstance): void {
  // first of all: its onRoute hook must see every route, the sign-in and admin routes (auth/) included
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: '見守り mimamori API',
        description: 'River gauges (MLIT thresholds, QC flags) and wildlife cameras. Times are ISO 8601; levels are metres on the gauge datum.',
        version: '0.1.0'
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'mimamori.sid' },
          token: { type: 'http', scheme: 'bearer' }
        }
      }
    }
  })
}

/** The UI at /docs (routes of its own): registered after the access hook like every other route. */
export function registerApiDocs (app: FastifyInstance): void {
  void app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    // the UI's own routes (static files, json) carry the same access as the API they describe
    uiHooks: {},
    staticCSP: false
  })
  app.addHook('onRoute', route => {
    if (route.url.startsWith('/docs')) {
      route.config = { ...(route.config as object), access: READERS }
      route.schema = { ...route.schema, hide: true }
    }
  })
}
