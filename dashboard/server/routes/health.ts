import type { FastifyPluginAsync } from 'fastify'
import { HealthBody } from '../../contract/misc.js'

export interface HealthSource {
  /** extra figures from the services in this process (ingest counters, broker clients) */
  (): Record<string, unknown>
}

export const healthRoutes: FastifyPluginAsync<{ health: HealthSource, startedAt: number }> = async (app, { health, startedAt }) => {
  app.get('/healthz', { config: { access: 'public' }, schema: { response: { 200: HealthBody } } }, async () => ({
    status: 'ok',
    uptimeS: Math.round((Date.now() - startedAt) / 1000),
    ...health()
  }))
}
