import { Type } from 'typebox'
import { AreaShapeSchema } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import { createSseHub } from '../sse.js'
import { ErrorBody, NoContent } from '../../contract/schemas.js'
import { HunterAreaBody, HunterBody, SightingBody } from '../../contract/wildlife.js'
import { eventStreamBody, HunterSseEvents, type HunterSsePayloads } from '../../contract/events.js'
import { HUNTER_OR_OPERATOR, OPERATORS } from '../auth/access.js'
import { assertOwnHunter } from '../auth/scope.js'
import { Id, iso, Uuidish, type WildlifeApp, type WildlifeContext } from './wildlife-context.js'

const Shape = AreaShapeSchema

/** the hunter stream's events (text/event-stream), documented from the contract */
const hunterStream = eventStreamBody(HunterSseEvents)

/** hunters and their areas, the alerts each received, and each one's own SSE stream */
export function hunterRoutes (app: WildlifeApp, { repo, view, scoped, hunterHubs }: WildlifeContext): void {
  app.get('/api/hunters', { config: { access: OPERATORS }, schema: { response: { 200: Type.Array(HunterBody) } } }, async () => repo.listHunters().map(h => ({ ...h, createdAt: iso(h.createdAt), areas: repo.areas(h.id) })))

  app.post('/api/hunters', {
    config: { access: OPERATORS, audit: 'hunter.add' },
    schema: { body: Type.Object({ id: Type.Optional(Id), name: Type.String({ minLength: 1, maxLength: 200 }), contact: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }), response: { 201: HunterBody, 400: ErrorBody, 409: ErrorBody } }
  }, async (request, reply) => {
    const h = repo.addHunter(request.body)
    return await reply.status(201).send({ ...h, createdAt: iso(h.createdAt), areas: [] })
  })

  app.get('/api/hunters/:id', { config: { access: HUNTER_OR_OPERATOR }, schema: { params: Type.Object({ id: Id }), response: { 200: HunterBody, 403: ErrorBody, 404: ErrorBody } } }, async (request) => {
    assertOwnHunter(request, request.params.id)
    const h = repo.getHunter(request.params.id)
    if (h === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no hunter ${request.params.id}`)
    return { ...h, createdAt: iso(h.createdAt), areas: repo.areas(h.id) }
  })

  app.delete('/api/hunters/:id', { config: { access: OPERATORS, audit: 'hunter.delete' }, schema: { params: Type.Object({ id: Id }), response: { 204: NoContent, 404: ErrorBody } } }, async (request, reply) => {
    if (!repo.deleteHunter(request.params.id)) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no hunter ${request.params.id}`)
    return await reply.status(204).send()
  })

  app.post('/api/hunters/:id/areas', {
    config: { access: OPERATORS, audit: 'hunter.area.add' },
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), shape: Shape }, { additionalProperties: false }), response: { 201: HunterAreaBody, 404: ErrorBody } }
  }, async (request, reply) => {
    if (repo.getHunter(request.params.id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no hunter ${request.params.id}`)
    return await reply.status(201).send(repo.addArea(request.params.id, request.body))
  })

  app.delete('/api/hunters/:id/areas/:areaId', { config: { access: OPERATORS, audit: 'hunter.area.delete' }, schema: { params: Type.Object({ id: Id, areaId: Uuidish }), response: { 204: NoContent, 404: ErrorBody } } }, async (request, reply) => {
    if (!repo.deleteArea(request.params.id, request.params.areaId)) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no area ${request.params.areaId}`)
    return await reply.status(204).send()
  })

  /** the alerts this hunter received (sightings in their areas that raised an alert) */
  app.get('/api/hunters/:id/alerts', {
    config: { access: HUNTER_OR_OPERATOR },
    schema: { params: Type.Object({ id: Id }), querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }), response: { 200: Type.Array(SightingBody), 403: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    assertOwnHunter(request, request.params.id)
    if (repo.getHunter(request.params.id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no hunter ${request.params.id}`)
    return repo.sightings({ hunterId: request.params.id, limit: request.query.limit }).filter(s => !s.suppressed).map(s => scoped(request, view(s)))
  })

  /** SSE for one hunter's phone: `wildlifeAlert` events for their areas only */
  app.get('/api/hunters/:id/events', { config: { access: HUNTER_OR_OPERATOR, stream: true }, schema: { params: Type.Object({ id: Id }), response: { 200: hunterStream, 403: ErrorBody, 404: ErrorBody } } }, async (request, reply) => {
    const id = request.params.id
    assertOwnHunter(request, id)
    if (repo.getHunter(id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no hunter ${id}`)
    let h = hunterHubs.get(id)
    if (h === undefined) {
      h = createSseHub<HunterSsePayloads>()
      hunterHubs.set(id, h)
    }
    h.attach(request, reply)
  })
}
