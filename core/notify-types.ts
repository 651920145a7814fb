import type { Suggestion } from './official-criteria.js'
import type { Static } from 'typebox'
import type { NOTIFY_CHANNELS, SubscriptionSchema } from './config/notify-schema.js'
import type { AlertSeverity } from './types.js'
import type { TrendKey } from './river/trend.js'

/**
 * What the notifier shows other parts, types only: the dashboard's
 * notification routes work against NotificationsPort, built and handed over by
 * the composition root (cli/), so the dashboard never imports notify/.
 */
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
/** a JMA telegram an advisory drafted from 判断補助 rests on (official_telegrams head) */
export interface OfficialTelegramRef {
  id: string
  infoKind: string | null
  office: string | null
  eventId: string | null
  reportTime: number | null
  headTitle: string | null
}

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
  /** drafted from 判断補助: the area and the JMA telegrams behind it (CAP <parameter> JMA_TELEGRAM) */
  officialBasis?: { areaCode: string, telegrams: OfficialTelegramRef[] } | null
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

export interface DeliveryRow {
  id: number
  eventId: number
  channel: ChannelName
  recipient: string
  address: string
  idemKey: string
  state: 'pending' | 'sending' | 'sent' | 'failed'
  attempts: number
  nextAt: number
  lastError: string | null
  sentAt: number | null
  createdAt: number
}

export interface DraftInput {
  alertId?: string | undefined
  stationId?: string | undefined
  /** absent: the level the current measurements suggest (core/river/advisory-level.ts) */
  level?: AdvisoryLevel | undefined
  area?: string | undefined
  radiusM?: number | undefined
  /** 判断補助: the 市町村 code whose suggestion (official/, JMA + gauges) pre-fills level, area and reasons */
  officialArea?: string | undefined
  by: string
}

/** what the measurements say now: the level the dialog preselects and why */
export interface AdvisorySuggestion {
  level: AdvisoryLevel
  levelM: number | null
  at: number | null
  rateMPerHour: number | null
  trend: TrendKey
}

export interface Advisories {
  /** pre-filled text from the alert and the station's latest readings; stored as a draft, sent nowhere */
  draft(input: DraftInput): Promise<Advisory & { suggestion: AdvisorySuggestion | null, official: Suggestion | null }>
  /** a person confirms: issued once to every public channel and the CAP feed */
  issue(id: string, by: string, edit?: { text?: string | undefined, area?: string | undefined }): Advisory
  update(id: string, by: string, edit: { text?: string | undefined, level?: AdvisoryLevel | undefined, area?: string | undefined }): Advisory
  cancel(id: string, by: string, note?: string): Advisory
  get(id: string): Advisory | undefined
  list(limit?: number): Advisory[]
}

/** The notifier as the dashboard uses it: figures, subscriptions, deliveries, advisories and the CAP feed. */
export interface NotificationsPort {
  status(): ChannelStatus[]
  readonly store: {
    subscriptions(filter?: { userId?: string }): Subscription[]
    subscription(id: string): Subscription | undefined
    /** insert, or update the one with the same user, channel and address */
    upsertSubscription(input: SubscriptionInput, at: number): Subscription
    deleteSubscription(id: string): boolean
    deliveries(filter: { state?: string | undefined, channel?: string | undefined, eventId?: number, limit?: number }): DeliveryRow[]
    /** the stored CAP 1.2 XML of one message */
    cap(identifier: string): string | undefined
  }
  readonly advisories: Advisories
  /** the public Atom feed of the newest CAP messages (drills never appear) */
  capFeed(limit: number): string
  readonly vapidPublicKey: string
  close(): Promise<void>
}
