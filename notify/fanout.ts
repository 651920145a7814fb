import type { Alert } from '../core/types.js'
import { neverHeld, releaseAt, wants, type Place } from './routing.js'
import type { NewDelivery, NotifyEventRow } from './store.js'
import type { Advisory, ChannelName, NotifyKind, Subscription } from './types.js'

export const CAP_RECIPIENT = 'cap-feed'

export interface FanOutContext {
  subscriptions: Subscription[]
  /** enabled channels and whether each takes drills */
  channels: Map<ChannelName, { drills: boolean }>
  place: (alert: Alert) => Place | undefined
  timezone: string
  now: number
  /** notify.historical.send: alerts raised from historical data are sent too */
  sendHistorical?: boolean
}

/** raised from back-filled or replayed data and not (yet) confirmed by current data (alerts/index.ts) */
export function isHistorical (alert: Alert): boolean {
  return alert.details.historical === true
}

/**
 * One human click on a station event (a group of alerts) is one message per
 * person: every delivery of the group's events shares one idempotency key per
 * recipient, channel and kind, so the store keeps the first and ignores the rest.
 */
function groupKey (e: NotifyEventRow, kind: NotifyKind): string | undefined {
  const group = e.doc.group
  return e.source === 'alert' && typeof group === 'string' && group !== '' ? `group:${group}:${kind}` : undefined
}

/** What an outbox event means for people; null when it is not announced (a pending alert, one cancelled before it fired). */
export function notifyKind (e: NotifyEventRow): NotifyKind | null {
  if (e.source === 'escalation') return 'alert.escalated'
  if (e.source === 'advisory') {
    return e.kind === 'issued' ? 'advisory.issued' : e.kind === 'updated' ? 'advisory.updated' : e.kind === 'cancelled' ? 'advisory.cancelled' : null
  }
  const from = e.doc.from as string | null
  const alert = e.doc.alert as Alert
  switch (e.kind) {
    case 'firing': return 'alert.firing'
    case 'severity': return alert.state === 'pending' ? null : 'alert.severity'
    case 'acknowledged': return from === 'pending' ? null : 'alert.acknowledged'
    case 'resolved': return from === 'pending' || from === null ? null : 'alert.resolved'
    default: return null
  }
}

export function isDrill (e: NotifyEventRow): boolean {
  if (e.source === 'advisory') return (e.doc.advisory as Advisory).drill
  return (e.doc.alert as Alert).drill
}

/**
 * One outbox event → the deliveries it needs: one per matching subscription (on an
 * enabled channel that takes drills when it is a drill), plus the CAP feed for
 * advisories. Quiet hours set a later `nextAt` unless the alert is Lv4+; escalations
 * and advisories are never held.
 */
export function deliveriesFor (e: NotifyEventRow, ctx: FanOutContext): NewDelivery[] {
  const kind = notifyKind(e)
  if (kind === null) return []
  const drill = isDrill(e)
  const usable = (channel: ChannelName): boolean => {
    const c = ctx.channels.get(channel)
    return c !== undefined && (!drill || c.drills)
  }
  const out: NewDelivery[] = []
  const group = groupKey(e, kind)
  const add = (s: Subscription, nextAt: number): void => {
    if (!usable(s.channel)) return
    out.push(group === undefined
      ? { channel: s.channel, recipient: s.id, address: s.address, nextAt }
      : { channel: s.channel, recipient: s.id, address: s.address, nextAt, idemKey: `${group}:${s.id}:${s.channel}` })
  }
  if (e.source === 'advisory') {
    for (const s of ctx.subscriptions) if (s.advisories) add(s, ctx.now)
    if (usable('cap')) out.push({ channel: 'cap', recipient: CAP_RECIPIENT, address: '', nextAt: ctx.now })
    return out
  }
  const alert = e.doc.alert as Alert
  // nobody is woken for yesterday's flood replayed today (notify.historical)
  if (isHistorical(alert) && ctx.sendHistorical !== true) return []
  if (e.source === 'escalation') {
    // a rota step names its users; with no rota the alert's own recipients get it again, never held
    const users = e.doc.users === null ? null : new Set(e.doc.users as string[])
    const place = users === null ? ctx.place(alert) : undefined
    for (const s of ctx.subscriptions) {
      if (users !== null ? users.has(s.userId) : s.role !== 'public' && wants(s, alert, place)) add(s, ctx.now)
    }
    return out
  }
  const place = ctx.place(alert)
  const urgent = neverHeld(alert)
  for (const s of ctx.subscriptions) {
    if (s.role === 'public') continue // public outlets carry advisories, not raw alerts
    if (!wants(s, alert, place)) continue
    add(s, urgent ? ctx.now : releaseAt(s.quietHours, ctx.now, ctx.timezone))
  }
  return out
}
