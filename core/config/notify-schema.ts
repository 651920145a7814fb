import { Type } from 'typebox'
import { RECIPIENT_ROLES, type RecipientRole } from '../roles.js'
import { retrySettings } from './retry-schema.js'

const Lat = Type.Number({ minimum: -90, maximum: 90 })
const Lon = Type.Number({ minimum: -180, maximum: 180 })
const Clock = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM local time (notify.timezone)' })

export const NOTIFY_CHANNELS = ['webpush', 'email', 'webhook', 'line', 'cap'] as const
export const NOTIFY_ROLES = RECIPIENT_ROLES

/** Who gets what: one address on one channel and the filter that decides which alerts reach it. */
export const SubscriptionSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' })),
  userId: Type.String({ minLength: 1, maxLength: 128, description: 'the user (dashboard/server/auth) or outlet this address belongs to' }),
  role: Type.Unsafe<RecipientRole>(Type.Union(RECIPIENT_ROLES.map(r => Type.Literal(r)), { description: "the user's role; 'public' = a public outlet (town LINE account, website webhook)" })),
  channel: Type.Union([Type.Literal('webpush'), Type.Literal('email'), Type.Literal('webhook'), Type.Literal('line')], { description: 'the CAP feed is not subscribed to: it is public' }),
  address: Type.String({ minLength: 1, maxLength: 4096, description: 'e-mail address, webhook URL, LINE user/group id, or a Web Push subscription as JSON' }),
  hunterId: Type.Optional(Type.String({ maxLength: 128, description: 'hunter (猟友会) id: wildlife alerts routed to this hunter\'s areas reach this address' })),
  kinds: Type.Array(Type.String({ maxLength: 32 }), { default: [], description: "alert kinds ('river', 'wildlife'); empty = all" }),
  stations: Type.Array(Type.String({ maxLength: 64 }), { default: [], description: 'station or camera ids; empty = all' }),
  rivers: Type.Array(Type.String({ maxLength: 100 }), { default: [], description: 'river names (station.river); empty = all' }),
  area: Type.Optional(Type.Object({ lat: Lat, lon: Lon, radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 200_000 }) }, { additionalProperties: false, description: 'only alerts whose station/camera lies in this circle' })),
  minSeverity: Type.Union([Type.Literal('minor'), Type.Literal('moderate'), Type.Literal('severe'), Type.Literal('extreme')], { default: 'minor' }),
  minLevel: Type.Integer({ minimum: 0, maximum: 5, default: 0, description: 'river threshold alerts below this MLIT level (Lv1–5) are not sent; 0 = all' }),
  advisories: Type.Boolean({ default: false, description: 'receives evacuation advisories (避難情報); public outlets set this' }),
  quietHours: Type.Optional(Type.Object({ start: Clock, end: Clock }, { additionalProperties: false, description: 'messages below Lv4 wait until the end; Lv4+ and escalations are never held' }))
}, { additionalProperties: false })

const channelBase = {
  enabled: Type.Boolean({ default: true }),
  drills: Type.Boolean({ default: false, description: '訓練 (drill) messages go to this channel (labelled 【訓練】); off = drills never leave through it' })
}

export const NotifySchema = Type.Object({
  enabled: Type.Boolean({ default: true, description: 'run the notifier in the process that owns alerts' }),
  publicUrl: Type.String({ default: '', description: 'dashboard URL used in links of messages; empty = http://localhost:{dashboard.port}' }),
  timezone: Type.String({ default: 'Asia/Tokyo', description: 'for quiet hours and the times written in messages' }),
  pollMs: Type.Integer({ minimum: 10, default: 1000, description: 'how often the outbox is checked for work another process committed, ms' }),
  batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 200, description: 'deliveries taken per drain round' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 16, description: 'deliveries in flight at once' }),
  ...retrySettings({ timeoutMs: 10_000, retryMinMs: 2000, retryMaxMs: 300_000 }, { request: 'per request to a channel peer', failure: 'delivery', ceiling: '' }),
  maxAttempts: Type.Integer({ minimum: 1, default: 40, description: 'a delivery failing this many times is given up (failed, visible in the API); 40 ≈ 3 h at the default back-off' }),
  keepDays: Type.Number({ minimum: 0, default: 30, description: 'sent and failed deliveries (and their events) are kept this long as the audit and duplicate ledger' }),
  channels: Type.Object({
    webpush: Type.Object({
      ...channelBase,
      drills: Type.Boolean({ default: true }),
      vapidPublicKey: Type.String({ default: '', description: 'VAPID key pair (base64url); empty = generated once and kept in dataDir/vapid.json' }),
      vapidPrivateKey: Type.String({ default: '' }),
      subject: Type.String({ default: 'mailto:bousai@example.lg.jp', description: 'VAPID contact (mailto: or https:)' }),
      ttlSeconds: Type.Integer({ minimum: 0, default: 3600, description: 'push service keeps an undelivered message this long' })
    }, { additionalProperties: false, default: {} }),
    email: Type.Object({
      ...channelBase,
      drills: Type.Boolean({ default: true }),
      host: Type.String({ default: '', description: 'SMTP server; empty = e-mail off' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
      secure: Type.Boolean({ default: false, description: 'TLS from the start (465); false = STARTTLS when offered' }),
      user: Type.String({ default: '' }),
      pass: Type.String({ default: '' }),
      from: Type.String({ default: '見守り mimamori <mimamori@example.lg.jp>' })
    }, { additionalProperties: false, default: {} }),
    webhook: Type.Object({
      ...channelBase,
      secret: Type.String({ default: '', description: 'HMAC-SHA256 key for X-Mimamori-Signature; empty = webhooks off' })
    }, { additionalProperties: false, default: {} }),
    line: Type.Object({
      ...channelBase,
      baseUrl: Type.String({ default: 'https://api.line.me', description: 'LINE Messaging API base URL' }),
      channelAccessToken: Type.String({ default: '', description: 'long-lived channel access token; empty = LINE off' })
    }, { additionalProperties: false, default: {} }),
    cap: Type.Object({
      ...channelBase,
      sender: Type.String({ default: 'mimamori@example.lg.jp', description: 'CAP <sender>' }),
      senderName: Type.String({ default: '見守り（市町村 防災担当）', description: 'CAP <senderName>' })
    }, { additionalProperties: false, default: {} })
  }, { additionalProperties: false, default: {} }),
  escalation: Type.Object({
    enabled: Type.Boolean({ default: true }),
    afterMinutes: Type.Number({ exclusiveMinimum: 0, default: 10, description: 'a firing alert at or above minLevel not acknowledged within this is re-sent to the next rota step' }),
    minLevel: Type.Integer({ minimum: 1, maximum: 5, default: 3, description: 'MLIT level (river); other kinds escalate at severity severe or worse' }),
    checkIntervalMs: Type.Integer({ minimum: 100, default: 30_000 }),
    rota: Type.Array(Type.Object({
      name: Type.String({ minLength: 1, maxLength: 100 }),
      users: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1 })
    }, { additionalProperties: false }), { default: [], description: 'steps in order (e.g. 当番 → 係長 → 課長); after the last step it repeats the last one' })
  }, { additionalProperties: false, default: {} }),
  historical: Type.Object({
    send: Type.Boolean({ default: false, description: 'send alerts raised from historical data (a back-fill, a replay of old records, a gauge backlog); off = they are kept and shown, but nobody is notified or escalated until current data confirms them' }),
    maxLagMinutes: Type.Number({ minimum: 0, default: 60, description: 'a reading received more than this long after its own time is historical' })
  }, { additionalProperties: false, default: {} }),
  subscriptions: Type.Array(SubscriptionSchema, { default: [], description: 'registered at start when absent (same user, channel and address); later changes go through the API' })
}, { additionalProperties: false, default: {} })
