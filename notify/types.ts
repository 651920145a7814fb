import type { Static } from 'typebox'
import type { NOTIFY_CHANNELS, SubscriptionSchema } from '../core/config/notify-schema.js'
import type { Alert, AlertSeverity } from '../core/types.js'

export type ChannelName = typeof NOTIFY_CHANNELS[number]
export type SubscriptionInput = Static<typeof SubscriptionSchema>

export interface Subscription {
  id: string
  userId: string
  role: SubscriptionInput['role']
  channel: Exclude<ChannelName, 'cap'>
  address: string
  hunterId: string | null
  kinds: string[]
  stations: string[]
  rivers: string[]
  area: { lat: number, lon: number, radiusM: number } | null
  minSeverity: AlertSeverity
  minLevel: number
  advisories: boolean
  quietHours: { start: string, end: string } | null
  createdAt: number
  updatedAt: number
}

/** 高齢者等避難 (Lv3) / 避難指示 (Lv4) / 緊急安全確保 (Lv5) */
export type AdvisoryLevel = 3 | 4 | 5
export type AdvisoryStatus = 'draft' | 'issued' | 'cancelled'

/** An evacuation advisory (判断補助: the system drafts, a person issues). */
export interface Advisory {
  id: string
  alertId: string | null
  level: AdvisoryLevel
  /** the area it is for, e.g. 青龍寺川 流域 (大宝寺・日枝地区) */
  area: string
  stationId: string | null
  river: string | null
  lat: number | null
  lon: number | null
  radiusM: number | null
  status: AdvisoryStatus
  /** 1 when issued; each update adds one (CAP msgType Update) */
  version: number
  headline: string
  text: string
  drill: boolean
  createdBy: string
  createdAt: number
  issuedBy: string | null
  issuedAt: number | null
  updatedAt: number
  cancelledBy: string | null
  cancelledAt: number | null
}

export type NotifyKind =
  | 'alert.firing' | 'alert.severity' | 'alert.acknowledged' | 'alert.resolved' | 'alert.escalated'
  | 'advisory.issued' | 'advisory.updated' | 'advisory.cancelled'

/** What a channel sends: one message to one recipient, already worded. */
export interface Notification {
  /** idempotency key: event × recipient × channel; peers that take one receive it (header, Message-ID, retry key) */
  key: string
  eventId: number
  kind: NotifyKind
  drill: boolean
  /** MLIT 警戒レベル (1–5) when the alert or advisory has one */
  level: number | null
  severity: AlertSeverity
  /** Japanese first; starts with 【訓練】 on drills */
  title: string
  /** Japanese, then English */
  body: string
  /** where the dashboard shows it (the sighting for hunters) */
  url: string
  /** collapses repeated messages about the same thing (push tag, LINE, e-mail thread) */
  tag: string
  alert: Alert | null
  advisory: Advisory | null
  /** escalation step (1-based) when kind is alert.escalated */
  step: number | null
  /** the CAP message an advisory update or cancel replaces */
  capPrevious: { identifier: string, sent: number } | null
  recipient: { id: string, userId: string, address: string }
  /** when the event was committed (ms): the start of the latency clock */
  createdAt: number
}

/** One way of reaching people. `send` resolves once the peer accepted the message. */
export interface Channel {
  readonly name: ChannelName
  send(notification: Notification): Promise<void>
  close?(): Promise<void>
}

/** Per-channel figures for the API, the UI and /metrics. */
export interface ChannelStatus {
  channel: ChannelName
  enabled: boolean
  drills: boolean
  sent: number
  failedAttempts: number
  givenUp: number
  consecutiveFailures: number
  lastSentAt: number | null
  lastError: string | null
  lastErrorAt: number | null
  /** from the outbox: deliveries waiting (due or backing off, held by quiet hours) */
  pending: number
}
