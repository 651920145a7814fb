import { Type } from 'typebox'

/** Notifications: channel status, deliveries, subscriptions, advisories (dashboard/server/routes/notify.ts). */
const Iso = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const ChannelStatusBody = Type.Object({
  channel: Type.String(),
  enabled: Type.Boolean(),
  drills: Type.Boolean({ description: '訓練 messages go to this channel' }),
  sent: Type.Integer({ description: 'since this process started' }),
  failedAttempts: Type.Integer(),
  givenUp: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  lastSentAt: Iso,
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: Iso,
  pending: Type.Integer({ description: 'deliveries waiting in the outbox (due, backing off or held by quiet hours)' })
})

export const SubscriptionBody = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  role: Type.String(),
  channel: Type.String(),
  address: Type.String({ description: 'for Web Push only the endpoint origin is shown' }),
  hunterId: Type.Union([Type.String(), Type.Null()]),
  kinds: Type.Array(Type.String()),
  stations: Type.Array(Type.String()),
  rivers: Type.Array(Type.String()),
  area: Type.Union([Type.Object({ lat: Type.Number(), lon: Type.Number(), radiusM: Type.Number() }), Type.Null()]),
  minSeverity: Type.String(),
  minLevel: Type.Integer(),
  advisories: Type.Boolean(),
  quietHours: Type.Union([Type.Object({ start: Type.String(), end: Type.String() }), Type.Null()])
})

export const AdvisoryBody = Type.Object({
  id: Type.String(),
  alertId: Type.Union([Type.String(), Type.Null()]),
  level: Type.Union([Type.Literal(3), Type.Literal(4), Type.Literal(5)], { description: '3 高齢者等避難 / 4 避難指示 / 5 緊急安全確保' }),
  area: Type.String(),
  stationId: Type.Union([Type.String(), Type.Null()]),
  river: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('draft'), Type.Literal('issued'), Type.Literal('cancelled')]),
  version: Type.Integer(),
  headline: Type.String(),
  text: Type.String(),
  drill: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  issuedBy: Type.Union([Type.String(), Type.Null()]),
  issuedAt: Iso,
  updatedAt: Type.String(),
  cancelledBy: Type.Union([Type.String(), Type.Null()]),
  cancelledAt: Iso
})

export const NotifyStatusBody = Type.Object({ channels: Type.Array(ChannelStatusBody), subscriptions: Type.Integer(), failed: Type.Integer() })

export const DeliveryBody = Type.Object({ id: Type.Integer(), eventId: Type.Integer(), channel: Type.String(), recipient: Type.String(), state: Type.String(), attempts: Type.Integer(), nextAt: Type.String(), lastError: Type.Union([Type.String(), Type.Null()]), sentAt: Iso, createdAt: Type.String() })

/** 向かいます: the alert after a hunter took it */
export const EnRouteBody = Type.Object({ id: Type.String(), state: Type.String(), acknowledgedBy: Type.Union([Type.String(), Type.Null()]) })

/** what the current measurements suggest (never the event's peak): the dialog preselects `level` */
export const AdvisorySuggestionBody = Type.Object({
  level: Type.Union([Type.Literal(3), Type.Literal(4), Type.Literal(5)]),
  levelM: Type.Union([Type.Number(), Type.Null()]),
  at: Iso,
  rateMPerHour: Type.Union([Type.Number(), Type.Null()]),
  trend: Type.Union([Type.Literal('rising'), Type.Literal('steady'), Type.Literal('falling'), Type.Literal('unknown')])
})

