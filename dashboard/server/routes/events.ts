import type { FastifyPluginAsync } from 'fastify'
import type { SseHub } from '../sse.js'
import { READERS } from '../auth/access.js'
import { eventStreamBody, SseEvents, type SsePayloads } from '../../contract/events.js'

/** `GET /api/events`: live readings, band changes and camera frames for the map. */
export const eventRoutes: FastifyPluginAsync<{ hub: SseHub<SsePayloads> }> = async (app, { hub }) => {
  app.get('/api/events', { config: { access: READERS, stream: true }, schema: { response: { 200: eventStreamBody(SseEvents) } } }, async (request, reply) => {
    hub.attach(request, reply)
  })
}
