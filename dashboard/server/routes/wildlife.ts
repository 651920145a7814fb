import { createReadStream } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { EventBus } from '../../../core/bus.js'
import { AreaShapeSchema, type Config } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import type { Sighting } from '../../../core/types.js'
import type { Alerts } from '../../../alerts/index.js'
import { openWildlifeRepo } from '../../../store/wildlife.js'
import { STATUS_FILE, type WildlifeStatus } from '../../../core/wildlife-status.js'
import { createSseHub, type SseHub } from '../sse.js'
import { ErrorBody, NoContent, BinaryBody } from '../../contract/schemas.js'
import { DetectionBody, FeedbackResultBody, HunterAreaBody, HunterBody, PrecisionBody, SightingBody, SightingDetailBody, WildlifeStatusBody } from '../../contract/wildlife.js'
import { eventStreamBody, HunterSseEvents, type HunterSsePayloads, type SsePayloads } from '../../contract/events.js'
import { HUNTER_OR_OPERATOR, HUNTERS, OPERATORS, READERS, SIGNED_IN } from '../auth/access.js'
import { assertOwnHunter, hunterScope } from '../auth/scope.js'

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })
const Uuidish = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })
const Shape = AreaShapeSchema

/** the hunter stream's events (text/event-stream), documented from the contract */
const hunterStream = eventStreamBody(HunterSseEvents)

const iso = (t: number): string => new Date(t).toISOString()

/**
 * Wildlife API: sightings, detections, hunters and their areas, feedback and
 * precision, and a per-hunter SSE stream that carries only the alerts whose
 * camera lies in one of that hunter's areas.
 */
export const wildlifeRoutes: FastifyPluginAsyncTypebox<{ config: Config, bus: EventBus, hub: SseHub<SsePayloads>, alerts: Alerts }> = async (app, { config, bus, hub, alerts }) => {
  const repo = openWildlifeRepo(resolve(config.dataDir, config.store.file))
  const hunterHubs = new Map<string, SseHub<HunterSsePayloads>>()
  const busKey = {}
  const view = (s: Sighting) => {
    const alert = s.alertId === null ? undefined : alerts.get(s.alertId)
    const camera = config.cameras.find(c => c.id === s.cameraId)
    return {
      ...s,
      camera: camera === undefined ? null : { name: camera.name, nameEn: camera.nameEn },
      time: iso(s.time),
      thumbnailUrl: s.thumbnail === null ? null : `/api/wildlife/sightings/${s.id}/thumbnail.jpg`,
      alert: alert === undefined ? null : { id: alert.id, state: alert.state, drill: alert.drill, acknowledgedBy: alert.acknowledgedBy }
    }
  }
  /** a hunter sees that a sighting reached them, not which other hunters it reached */
  const scoped = <T extends { hunters: string[] }>(request: FastifyRequest, v: T): T => {
    const own = hunterScope(request)
    return own === undefined ? v : { ...v, hunters: v.hunters.filter(h => h === own) }
  }
  const assertInOwnArea = (request: FastifyRequest, s: Sighting): void => {
    const own = hunterScope(request)
    if (own !== undefined && !s.hunters.includes(own)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'this sighting is outside your areas')
  }
  bus.on('sighting', busKey, ({ sighting }) => {
    hub.broadcast('sighting', view(sighting))
    if (sighting.suppressed) return
    for (const h of sighting.hunters) hunterHubs.get(h)?.broadcast('wildlifeAlert', { ...view(sighting), hunters: [h] })
  })
  app.addHook('onClose', async () => {
    bus.removeListeners(busKey)
    for (const h of hunterHubs.values()) h.close()
    repo.close()
  })

  /** whether ingest analyses frames (it writes the file at start; the dashboard may run in another process) */
  app.get('/api/wildlife/status', { config: { access: SIGNED_IN }, schema: { response: { 200: WildlifeStatusBody } } }, async () => {
    try {
      return JSON.parse(await readFile(join(config.dataDir, STATUS_FILE), 'utf8')) as WildlifeStatus
    } catch {
      return { detection: false, reason: 'ingest has not started here yet', model: null, adapter: null, since: null }
    }
  })

  app.get('/api/wildlife/sightings', {
    config: { access: SIGNED_IN },
    schema: {
      querystring: Type.Object({ cameraId: Type.Optional(Id), hunterId: Type.Optional(Id), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }, { additionalProperties: false }),
      response: { 200: Type.Array(SightingBody), 403: ErrorBody }
    }
  }, async (request) => {
    const own = hunterScope(request)
    if (own !== undefined && request.query.hunterId !== undefined) assertOwnHunter(request, request.query.hunterId)
    // a hunter's list is always their own areas' sightings, whatever the query asks
    return repo.sightings(own === undefined ? request.query : { ...request.query, hunterId: own }).map(s => scoped(request, view(s)))
  })

  app.get('/api/wildlife/sightings/:id', { config: { access: SIGNED_IN }, schema: { params: Type.Object({ id: Uuidish }), response: { 200: SightingDetailBody, 403: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const s = repo.getSighting(request.params.id)
    if (s === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no sighting ${request.params.id}`)
    assertInOwnArea(request, s)
    const own = hunterScope(request)
    const feedback = repo.feedback(s.id).filter(f => own === undefined || f.hunterId === own)
    return { ...scoped(request, view(s)), feedback: feedback.map(f => ({ ...f, at: iso(f.at) })) }
  })

  app.get('/api/wildlife/sightings/:id/thumbnail.jpg', { config: { access: SIGNED_IN }, schema: { params: Type.Object({ id: Uuidish }), response: { 200: BinaryBody('the best frame, image/jpeg'), 403: ErrorBody, 404: ErrorBody } } }, async (request, reply) => {
    const s = repo.getSighting(request.params.id)
    if (s === undefined || s.thumbnail === null) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no thumbnail for sighting ${request.params.id}`)
    assertInOwnArea(request, s)
    const file = join(config.dataDir, s.thumbnail)
    try {
      await access(file)
    } catch {
      throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', 'thumbnail is gone (retention)')
    }
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(createReadStream(file) as unknown as string) // a stream skips the serializer; the schema documents the route
  })

  app.get('/api/wildlife/detections', {
    config: { access: READERS },
    schema: {
      querystring: Type.Object({
        cameraId: Id,
        from: Type.Optional(Type.String({ format: 'date-time' })),
        to: Type.Optional(Type.String({ format: 'date-time' })),
        limit: Type.Integer({ minimum: 1, maximum: 5000, default: 200 })
      }, { additionalProperties: false }),
      response: { 200: Type.Array(DetectionBody) }
    }
  }, async (request) => {
    const q = request.query
    const to = q.to === undefined ? Date.now() + 86_400_000 : Date.parse(q.to)
    const from = q.from === undefined ? 0 : Date.parse(q.from)
    return repo.detections(q.cameraId, from, to, q.limit).map(d => ({ ...d, time: iso(d.time) }))
  })

  app.get('/api/wildlife/precision', { config: { access: READERS }, schema: { response: { 200: PrecisionBody } } }, async () => repo.precision())

  app.post('/api/wildlife/alerts/:id/feedback', {
    config: { access: HUNTERS, audit: 'wildlife.feedback' },
    schema: {
      params: Type.Object({ id: Uuidish }),
      body: Type.Object({ hunterId: Type.Optional(Id), verdict: Type.Union([Type.Literal('confirm'), Type.Literal('reject')]), note: Type.String({ maxLength: 1000, default: '' }) }, { additionalProperties: false }),
      response: { 200: FeedbackResultBody, 403: ErrorBody, 404: ErrorBody }
    }
  }, async (request) => {
    // the id of the alert a hunter received, or of the sighting behind it
    const s = repo.sightingByAlert(request.params.id) ?? repo.getSighting(request.params.id)
    if (s === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no wildlife alert or sighting ${request.params.id}`)
    // feedback speaks for the signed-in hunter only, and only on an alert that was delivered to them
    const hunterId = request.principal?.hunterId ?? ''
    if (request.body.hunterId !== undefined && request.body.hunterId !== hunterId) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'feedback is given in your own name only')
    if (repo.getHunter(hunterId) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no hunter ${hunterId}`)
    if (s.suppressed || s.alertId === null || !s.hunters.includes(hunterId)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'this alert was not delivered to you')
    repo.putFeedback({ sightingId: s.id, hunterId, verdict: request.body.verdict, note: request.body.note, at: Date.now() })
    // a hunter answered: someone is on it, so the escalation stops (as with 向かいます)
    const alert = alerts.get(s.alertId)
    if (alert !== undefined && (alert.state === 'firing' || alert.state === 'pending')) {
      alerts.acknowledge(alert.id, request.principal?.username ?? hunterId, { note: request.body.verdict === 'confirm' ? 'サルでした / monkeys confirmed' : '誤報 / false alarm' })
    }
    return { sightingId: s.id, alertId: s.alertId, feedback: repo.feedback(s.id).filter(f => f.hunterId === hunterId).map(f => ({ ...f, at: iso(f.at) })) }
  })

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
