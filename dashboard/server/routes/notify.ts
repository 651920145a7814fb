import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { Alerts } from '../../../alerts/index.js'
import type { NotificationsPort } from '../../../core/notify-types.js'
import { HUNTER_OR_OPERATOR, OPERATORS, READERS, SIGNED_IN } from '../auth/access.js'
import { DeliveryBody, EnRouteBody, NotifyStatusBody } from '../../contract/notify.js'
import { ErrorBody } from '../../contract/schemas.js'
import { IdParams, iso, who } from './notify-common.js'
import { subscriptionRoutes } from './notify-subscriptions.js'
import { advisoryRoutes } from './notify-advisories.js'

/**
 * Notifications: channel status, subscriptions (each user their own; operators
 * everyone's and the public outlets), Web Push registration, evacuation
 * advisories (draft → confirm → issue, update, cancel) and the public CAP feed.
 */
export const notifyRoutes: FastifyPluginAsyncTypebox<{ notifier: NotificationsPort, alerts: Alerts }> = async (app, { notifier, alerts }) => {
  // 向かいます: a hunter takes a sighting in their own area (acknowledges it: escalation stops, others see 対応中)
  app.post('/api/notify/alerts/:id/en-route', {
    config: { access: HUNTER_OR_OPERATOR, audit: 'alert.en-route' },
    schema: { params: IdParams, response: { 200: EnRouteBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => {
    const p = who(request)
    const a = alerts.get(request.params.id)
    if (a === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no alert ${request.params.id}`)
    if (p.role === 'hunter') {
      const hunters = Array.isArray(a.details.hunters) ? a.details.hunters as unknown[] : []
      if (a.kind !== 'wildlife' || p.hunterId === null || !hunters.includes(p.hunterId)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'not a sighting in your areas')
    }
    const next = a.state === 'acknowledged' ? a : alerts.acknowledge(a.id, p.username, { note: '向かいます / on the way' })
    return { id: next.id, state: next.state, acknowledgedBy: next.acknowledgedBy }
  })

  app.get('/api/notify/status', {
    config: { access: READERS },
    schema: { response: { 200: NotifyStatusBody } }
  }, async () => ({
    channels: notifier.status().map(s => ({ ...s, lastSentAt: iso(s.lastSentAt), lastErrorAt: iso(s.lastErrorAt) })),
    subscriptions: notifier.store.subscriptions().length,
    failed: notifier.store.deliveries({ state: 'failed', limit: 1000 }).length
  }))

  app.get('/api/notify/deliveries', {
    config: { access: OPERATORS },
    schema: {
      querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('sending'), Type.Literal('sent'), Type.Literal('failed')])), channel: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
      response: { 200: Type.Array(DeliveryBody) }
    }
  }, async (request) => notifier.store.deliveries({ state: request.query.state, channel: request.query.channel, limit: request.query.limit ?? 100 })
    .map(({ address: _a, idemKey: _k, ...d }) => ({ ...d, nextAt: iso(d.nextAt)!, sentAt: iso(d.sentAt), createdAt: iso(d.createdAt)! })))

  app.get('/api/notify/vapid-public-key', {
    config: { access: SIGNED_IN },
    schema: { response: { 200: Type.Object({ publicKey: Type.String() }) } }
  }, async () => ({ publicKey: notifier.vapidPublicKey }))

  subscriptionRoutes(app, notifier)
  advisoryRoutes(app, notifier)
}
