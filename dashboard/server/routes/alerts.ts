import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { Alert, AlertState } from '../../../core/types.js'
import type { Alerts } from '../../../alerts/index.js'
import { randomUUID } from 'node:crypto'
import { AlertActionBody, AlertBody, AlertGroupActionBody, AlertIdParams, AlertsQuery, ErrorBody } from '../../contract/schemas.js'
import { OPERATORS, READERS } from '../auth/access.js'

const OPEN: AlertState[] = ['pending', 'firing', 'acknowledged']

/** Alert list and the two human transitions; every kind (river, wildlife…) goes through here. */
export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts: Alerts }> = async (app, { alerts }) => {
  app.get('/api/alerts', {
    config: { access: READERS },
    schema: { querystring: AlertsQuery, response: { 200: Type.Array(AlertBody), 400: ErrorBody } }
  }, async (request) => {
    const q = request.query
    const states = q.state === undefined ? undefined : [...new Set(q.state.split(',').flatMap(s => s === 'open' ? OPEN : [s as AlertState]))]
    return alerts.list({ state: states, kind: q.kind, subjectId: q.subjectId, drill: q.drill, limit: q.limit }).map(alertView)
  })

  app.get('/api/alerts/:id', {
    config: { access: READERS },
    schema: { params: AlertIdParams, response: { 200: Type.Intersect([AlertBody, Type.Object({ history: Type.Array(Type.Object({ at: Type.String(), from: Type.Union([Type.String(), Type.Null()]), to: Type.String(), by: Type.Union([Type.String(), Type.Null()]), note: Type.Union([Type.String(), Type.Null()]) })) })]), 404: ErrorBody } }
  }, async (request) => {
    const a = alerts.get(request.params.id)
    if (a === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no alert ${request.params.id}`)
    return { ...alertView(a), history: alerts.history(a.id).map(h => ({ ...h, at: iso(h.at) })) }
  })

  app.post('/api/alerts/:id/ack', {
    config: { access: OPERATORS, audit: 'alert.ack' },
    schema: { params: AlertIdParams, body: AlertActionBody, response: { 200: AlertBody, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => alertView(alerts.acknowledge(request.params.id, actor(request), { note: request.body.note })))

  app.post('/api/alerts/:id/resolve', {
    config: { access: OPERATORS, audit: 'alert.resolve' },
    schema: { params: AlertIdParams, body: AlertActionBody, response: { 200: AlertBody, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => alertView(alerts.resolve(request.params.id, actor(request), { note: request.body.note })))

  // One click on an event card: every alert of the group changes, and the notifier sends one
  // message per person for the group (the shared `group` id), not one per alert.
  app.post('/api/alerts/group/ack', groupAction('alert.ack'), async (request) => {
    const group = randomUUID()
    const by = actor(request)
    return request.body.ids.flatMap(id => {
      const a = alerts.get(id)
      if (a === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no alert ${id}`)
      // a member resolved meanwhile (the river fell) is not a reason to refuse the others
      return a.state === 'resolved' ? [] : [alertView(alerts.acknowledge(id, by, { note: request.body.note, group }))]
    })
  })

  app.post('/api/alerts/group/resolve', groupAction('alert.resolve'), async (request) => {
    const group = randomUUID()
    const by = actor(request)
    return request.body.ids.map(id => alertView(alerts.resolve(id, by, { note: request.body.note, group })))
  })
}

/** a group action's route options: operators act on several alerts at once, audited as `audit` */
function groupAction (audit: string) {
  return {
    config: { access: OPERATORS, audit },
    schema: { body: AlertGroupActionBody, response: { 200: Type.Array(AlertBody), 400: ErrorBody, 404: ErrorBody } }
  }
}

/** who acts is the signed-in user, never what the body claims (the body's `by` is ignored) */
function actor (request: FastifyRequest): string {
  return request.principal?.username ?? 'unknown'
}

/** API shape: times as ISO strings, like every other route. */
export function alertView (a: Alert) {
  return {
    ...a,
    observedAt: iso(a.observedAt),
    lastSeenAt: iso(a.lastSeenAt),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
    firedAt: isoOrNull(a.firedAt),
    acknowledgedAt: isoOrNull(a.acknowledgedAt),
    resolvedAt: isoOrNull(a.resolvedAt)
  }
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}

function isoOrNull (ms: number | null): string | null {
  return ms === null ? null : iso(ms)
}
