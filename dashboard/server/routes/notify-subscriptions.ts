import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { NotificationsPort, Subscription } from '../../../core/notify-types.js'
import { SIGNED_IN } from '../auth/access.js'
import { SubscriptionBody } from '../../contract/notify.js'
import { RecipientRoleSchema } from '../../contract/auth.js'
import { ErrorBody } from '../../contract/schemas.js'
import { IdParams, isOperator, who, type NotifyApp } from './notify-common.js'

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

/** subscriptions: each user their own; operators everyone's and the public outlets; Web Push registration */
export function subscriptionRoutes (app: NotifyApp, notifier: NotificationsPort): void {
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
}

function safeEndpoint (json: string): string | undefined {
  try {
    return (JSON.parse(json) as { endpoint: string }).endpoint
  } catch {
    return undefined
  }
}
