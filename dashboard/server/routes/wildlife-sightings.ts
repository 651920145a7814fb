import { createReadStream } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { STATUS_FILE, type WildlifeStatus } from '../../../core/wildlife-status.js'
import { ErrorBody, BinaryBody } from '../../contract/schemas.js'
import { DetectionBody, FeedbackResultBody, PrecisionBody, SightingBody, SightingDetailBody, WildlifeStatusBody } from '../../contract/wildlife.js'
import { HUNTERS, READERS, SIGNED_IN } from '../auth/access.js'
import { assertOwnHunter, hunterScope } from '../auth/scope.js'
import { Id, iso, Uuidish, type WildlifeApp, type WildlifeContext } from './wildlife-context.js'

/** status, sightings (list, detail, thumbnail), detections, precision and hunter feedback */
export function sightingRoutes (app: WildlifeApp, { config, alerts, repo, view, scoped, assertInOwnArea }: WildlifeContext): void {
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
}
