import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { Alerts } from '../../../alerts/index.js'
import type { Advisory, NotificationsPort, Subscription } from '../../../core/notify-types.js'
import { HUNTER_OR_OPERATOR, OPERATORS, READERS, SIGNED_IN, type Principal } from '../auth/access.js'
import { AdvisoryBody, AdvisorySuggestionBody, DeliveryBody, EnRouteBody, NotifyStatusBody, SubscriptionBody } from '../../contract/notify.js'
import { RecipientRoleSchema } from '../../contract/auth.js'
import { BinaryBody, ErrorBody } from '../../contract/schemas.js'
import { OfficialSuggestionBody, type OfficialSuggestionView } from './official.js'

const SubscriptionInputBody = Type.Object({
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'operators only: another user or a public outlet; default yourself' })),
  role: Type.Optional(RecipientRoleSchema),
  channel: Type.Union([Type.Literal('webpush'), Type.Literal('email'), Type.Literal('webhook'), Type.Literal('line')]),
  address: Type.String({ minLength: 1, maxLength: 4096 }),
  kinds: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
  stations: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 })),
  rivers: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  area: Type.Optional(Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }), radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 200_000 }) })),
  minSeverity: Type.Optional(Type.Union([Type.Literal('minor'), Type.Literal('moderate'), Type.Literal('severe'), Type.Literal('extreme')])),
  minLevel: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
  advisories: Type.Optional(Type.Boolean()),
  quietHours: Type.Optional(Type.Object({ start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }), end: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }) }))
}, { additionalProperties: false })

const PushSubscriptionBody = Type.Object({
  endpoint: Type.String({ pattern: '^https://', maxLength: 2048 }),
  expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  keys: Type.Object({ p256dh: Type.String({ minLength: 40, maxLength: 200 }), auth: Type.String({ minLength: 8, maxLength: 100 }) })
})

const Level = Type.Union([Type.Literal(3), Type.Literal(4), Type.Literal(5)], { description: '3 高齢者等避難 / 4 避難指示 / 5 緊急安全確保' })
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

function advisoryView (a: Advisory) {
  return { ...a, createdAt: iso(a.createdAt)!, issuedAt: iso(a.issuedAt), updatedAt: iso(a.updatedAt)!, cancelledAt: iso(a.cancelledAt) }
}

function subscriptionView (s: Subscription) {
  const { createdAt: _c, updatedAt: _u, ...rest } = s
  // a push subscription's keys are the browser's secret: show where it points, not the keys
  return { ...rest, address: s.channel === 'webpush' ? safeOrigin(s.address) : s.address }
}

function safeOrigin (json: string): string {
  try {
    return new URL((JSON.parse(json) as { endpoint: string }).endpoint).origin
  } catch {
    return '(invalid)'
  }
}

function who (request: FastifyRequest): Principal {
  if (request.principal === null) throw new MimamoriError('MIMAMORI_ERR_UNAUTHENTICATED')
  return request.principal
}

const isOperator = (p: Principal): boolean => OPERATORS.includes(p.role)

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

  app.get('/api/notify/subscriptions', {
    config: { access: SIGNED_IN },
    schema: { querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }), response: { 200: Type.Array(SubscriptionBody) } }
  }, async (request) => {
    const p = who(request)
    const all = request.query.all === true && isOperator(p)
    return notifier.store.subscriptions(all ? {} : { userId: p.userId }).map(subscriptionView)
  })

  app.post('/api/notify/subscriptions', {
    config: { access: SIGNED_IN, audit: 'notify.subscribe' },
    schema: { body: SubscriptionInputBody, response: { 200: SubscriptionBody, 400: ErrorBody, 403: ErrorBody } }
  }, async (request) => {
    const p = who(request)
    const b = request.body
    const forOther = b.userId !== undefined && b.userId !== p.userId
    if ((forOther || b.role === 'public') && !isOperator(p)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'only operators subscribe other users or public outlets')
    if (b.channel === 'webhook' && !/^https?:\/\//.test(b.address)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'a webhook address is an http(s) URL')
    if (b.channel === 'email' && !/^[^\s@<>]+@[^\s@<>]+$/.test(b.address)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'not an e-mail address')
    const sub = notifier.store.upsertSubscription({
      ...b,
      kinds: b.kinds ?? [],
      stations: b.stations ?? [],
      rivers: b.rivers ?? [],
      minSeverity: b.minSeverity ?? 'minor',
      minLevel: b.minLevel ?? 0,
      advisories: b.advisories ?? false,
      userId: forOther ? b.userId! : p.userId,
      role: b.role ?? (forOther ? 'staff' : p.role),
      ...(forOther || p.hunterId === null ? {} : { hunterId: p.hunterId })
    }, Date.now())
    return subscriptionView(sub)
  })

  app.post('/api/notify/push-subscription', {
    config: { access: SIGNED_IN, audit: 'notify.push-subscribe' },
    schema: { body: PushSubscriptionBody, response: { 200: SubscriptionBody, 400: ErrorBody } }
  }, async (request) => {
    const p = who(request)
    const { endpoint, keys } = request.body
    // hunters: monkeys in their own areas; staff and admins: river Lv3+ and every wildlife alert
    const hunter = p.role === 'hunter'
    const existing = notifier.store.subscriptions({ userId: p.userId }).find(s => s.channel === 'webpush' && safeEndpoint(s.address) === endpoint)
    const sub = notifier.store.upsertSubscription({
      ...(existing === undefined ? {} : { id: existing.id }),
      userId: p.userId,
      role: p.role,
      channel: 'webpush',
      address: JSON.stringify({ endpoint, keys }),
      ...(p.hunterId === null ? {} : { hunterId: p.hunterId }),
      kinds: existing?.kinds ?? (hunter ? ['wildlife'] : []),
      stations: existing?.stations ?? [],
      rivers: existing?.rivers ?? [],
      minSeverity: existing?.minSeverity ?? 'minor',
      minLevel: existing?.minLevel ?? (hunter ? 0 : 3),
      advisories: existing?.advisories ?? !hunter,
      ...(existing?.quietHours == null ? {} : { quietHours: existing.quietHours })
    }, Date.now())
    return subscriptionView(sub)
  })

  app.delete('/api/notify/subscriptions/:id', {
    config: { access: SIGNED_IN, audit: 'notify.unsubscribe' },
    schema: { params: IdParams, response: { 200: Type.Object({ deleted: Type.Boolean() }), 404: ErrorBody, 403: ErrorBody } }
  }, async (request) => {
    const p = who(request)
    const s = notifier.store.subscription(request.params.id)
    if (s === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no subscription ${request.params.id}`)
    if (s.userId !== p.userId && !isOperator(p)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'not your subscription')
    return { deleted: notifier.store.deleteSubscription(s.id) }
  })

  app.get('/api/advisories', {
    config: { access: READERS },
    schema: { response: { 200: Type.Array(AdvisoryBody) } }
  }, async () => notifier.advisories.list(100).map(advisoryView))

  app.post('/api/advisories/draft', {
    config: { access: OPERATORS, audit: 'advisory.draft' },
    schema: {
      body: Type.Object({ alertId: Type.Optional(Type.String({ maxLength: 64 })), stationId: Type.Optional(Type.String({ maxLength: 64 })), level: Type.Optional(Level), area: Type.Optional(Type.String({ maxLength: 200 })), radiusM: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50_000 })), officialArea: Type.Optional(Type.String({ pattern: '^[0-9]{7}$' })) }, { additionalProperties: false }),
      response: { 200: Type.Intersect([AdvisoryBody, Type.Object({ suggestion: Type.Union([AdvisorySuggestionBody, Type.Null()]), official: Type.Optional(Type.Union([OfficialSuggestionBody, Type.Null()])) })]), 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request) => {
    const { suggestion, official, ...draft } = await notifier.advisories.draft({ ...request.body, by: who(request).username })
    return { ...advisoryView(draft), suggestion: suggestion === null ? null : { ...suggestion, at: iso(suggestion.at) }, official: official as OfficialSuggestionView | null }
  })

  const Edit = Type.Object({ text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), area: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false })
  app.post('/api/advisories/:id/issue', {
    config: { access: OPERATORS, audit: 'advisory.issue' },
    schema: { params: IdParams, body: Edit, response: { 200: AdvisoryBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => advisoryView(notifier.advisories.issue(request.params.id, who(request).username, request.body)))

  app.post('/api/advisories/:id/update', {
    config: { access: OPERATORS, audit: 'advisory.update' },
    schema: { params: IdParams, body: Type.Object({ text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), area: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), level: Type.Optional(Level) }, { additionalProperties: false }), response: { 200: AdvisoryBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => advisoryView(notifier.advisories.update(request.params.id, who(request).username, request.body)))

  app.post('/api/advisories/:id/cancel', {
    config: { access: OPERATORS, audit: 'advisory.cancel' },
    schema: { params: IdParams, body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), response: { 200: AdvisoryBody, 404: ErrorBody } }
  }, async (request) => advisoryView(notifier.advisories.cancel(request.params.id, who(request).username, request.body.note)))

  // the CAP feed is public by design: anyone (Lアラート relays, media, apps) may read it; drills never appear
  app.get('/api/cap/feed.atom', { config: { access: 'public' }, schema: { response: { 200: BinaryBody('the Atom feed of public CAP messages (application/atom+xml)') } } }, async (_request, reply) => {
    return await reply.type('application/atom+xml; charset=utf-8').send(notifier.capFeed(100))
  })

  app.get('/api/cap/:file', {
    config: { access: 'public' },
    schema: { params: Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9._-]+\\.xml$', maxLength: 200 }) }), response: { 200: BinaryBody('one CAP 1.2 message (application/cap+xml)'), 404: ErrorBody } }
  }, async (request, reply) => {
    const xml = notifier.store.cap(request.params.file.replace(/\.xml$/, ''))
    if (xml === undefined || (xml.includes('<status>Exercise</status>'))) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no CAP message ${request.params.file}`)
    return await reply.type('application/cap+xml; charset=utf-8').send(xml)
  })
}

function safeEndpoint (json: string): string | undefined {
  try {
    return (JSON.parse(json) as { endpoint: string }).endpoint
  } catch {
    return undefined
  }
}
