import type { Alert, AlertSeverity } from '../core/types.js'

// the shapes other parts see live in core/notify-types.ts (the dashboard reads them without importing notify/)
import type { Advisory, ChannelName } from '../core/notify-types.js'
export type { ChannelName, SubscriptionInput, Subscription, AdvisoryLevel, AdvisoryStatus, Advisory, ChannelStatus } from '../core/notify-types.js'

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

