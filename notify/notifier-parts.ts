import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Alert } from '../core/types.js'
import type { Store } from '../store/store.js'
import { createCapChannel } from './channels/cap.js'
import { createEmailChannel } from './channels/email.js'
import { createLineChannel } from './channels/line.js'
import { createWebhookChannel } from './channels/webhook.js'
import { createWebPushChannel } from './channels/webpush.js'
import type { ChannelCounters } from './drain.js'
import { isDrill, notifyKind } from './fanout.js'
import { mlitLevel } from './levels.js'
import { advisoryWording, alertWording, stationLabel, type WordingContext } from './message.js'
import type { Place } from './routing.js'
import type { DeliveryRow, NotifyEventRow, NotifyStore } from './store.js'
import type { Advisory, Channel, ChannelName, ChannelStatus, Notification } from './types.js'

// The notifier's pieces that need no state of their own beyond what they are given (notify/index.ts
// wires them): the wording context, the channels from config, where an alert is, the message of one
// delivery, and the status table.

export function wordingContext (publicUrl: string, timezone: string, store: Store | undefined): WordingContext {
  return {
    publicUrl,
    timezone,
    // 「内川・大泉橋観測所」, never 「内川の内川 (大泉橋)観測所」
    subjectName (alert) {
      if (alert.kind === 'river') {
        const s = store?.getStation(alert.subjectId)
        return s === undefined ? undefined : `${s.river}・${stationLabel(s)}`
      }
      const c = store?.getCamera(alert.subjectId)
      return c === undefined ? undefined : `${c.name}カメラ`
    }
  }
}

export interface BuiltChannels {
  channels: Map<ChannelName, Channel>
  channelFlags: Map<ChannelName, { drills: boolean }>
}

/** the channels `notify.channels` enables (or the ones a test or bench gives), each with its drills flag */
export function buildChannels ({ config, given, vapid, nstore, ctx, pushAgent }: {
  config: Config
  given: Channel[] | undefined
  vapid: { publicKey: string, privateKey: string }
  nstore: NotifyStore
  ctx: WordingContext
  pushAgent: import('node:https').Agent | undefined
}): BuiltChannels {
  const n = config.notify
  const cc = n.channels
  const channels = new Map<ChannelName, Channel>()
  const channelFlags = new Map<ChannelName, { drills: boolean }>()
  const add = (c: Channel, drills: boolean): void => { channels.set(c.name, c); channelFlags.set(c.name, { drills }) }
  if (given !== undefined) {
    for (const c of given) add(c, cc[c.name].drills)
    return { channels, channelFlags }
  }
  if (cc.webpush.enabled) add(createWebPushChannel({ ...vapid, subject: cc.webpush.subject, ttlSeconds: cc.webpush.ttlSeconds, timeoutMs: n.timeoutMs, agent: pushAgent }), cc.webpush.drills)
  if (cc.email.enabled && cc.email.host !== '') add(createEmailChannel({ ...cc.email, timeoutMs: n.timeoutMs }), cc.email.drills)
  if (cc.webhook.enabled && cc.webhook.secret !== '') add(createWebhookChannel({ secret: cc.webhook.secret, timeoutMs: n.timeoutMs }), cc.webhook.drills)
  if (cc.line.enabled && cc.line.channelAccessToken !== '') add(createLineChannel({ ...cc.line, timeoutMs: n.timeoutMs }), cc.line.drills)
  if (cc.cap.enabled) add(createCapChannel({ store: nstore, ctx: { ...ctx, sender: cc.cap.sender, senderName: cc.cap.senderName } }), cc.cap.drills)
  return { channels, channelFlags }
}

/** where an alert is: its station or camera, else the coordinates in its details */
export function placeOf (alert: Alert, store: Store | undefined): Place | undefined {
  if (alert.kind === 'river') {
    const s = store?.getStation(alert.subjectId)
    return s === undefined ? undefined : { lat: s.lat, lon: s.lon, river: s.river }
  }
  const c = store?.getCamera(alert.subjectId)
  if (c !== undefined) return { lat: c.lat, lon: c.lon, river: null }
  const { lat, lon } = alert.details
  return typeof lat === 'number' && typeof lon === 'number' ? { lat, lon, river: null } : undefined
}

/** the message of one delivery, from its event (kept in a small cache: a fan-out reads each event once) */
export function createNotificationBuilder (nstore: NotifyStore, ctx: WordingContext): { build(d: DeliveryRow): Notification | undefined, remember(e: NotifyEventRow): void } {
  const events = new Map<number, NotifyEventRow>()
  const remember = (e: NotifyEventRow): void => {
    events.set(e.id, e)
    if (events.size > 1000) events.delete(events.keys().next().value!)
  }
  const eventOf = (id: number): NotifyEventRow | undefined => {
    let e = events.get(id)
    if (e === undefined) {
      e = nstore.event(id)
      if (e !== undefined) remember(e)
    }
    return e
  }
  const build = (d: DeliveryRow): Notification | undefined => {
    const e = eventOf(d.eventId)
    if (e === undefined) return undefined
    const kind = notifyKind(e)
    if (kind === null) return undefined
    const base = { key: d.idemKey, eventId: e.id, kind, drill: isDrill(e), recipient: { id: d.recipient, userId: d.recipient, address: d.address }, createdAt: e.createdAt }
    if (e.source === 'advisory') {
      const advisory = e.doc.advisory as Advisory
      const w = advisoryWording(kind as 'advisory.issued', advisory, ctx)
      return { ...base, ...w, level: advisory.level, severity: advisory.level >= 5 ? 'extreme' : 'severe', alert: null, advisory, step: null, capPrevious: (e.doc.previous as Notification['capPrevious']) ?? null }
    }
    const alert = e.doc.alert as Alert
    const step = e.source === 'escalation' ? e.doc.step as number : null
    const w = alertWording(kind, alert, ctx, { step, rotaName: e.source === 'escalation' ? e.doc.rotaName as string | null : null })
    return { ...base, ...w, level: mlitLevel(alert), severity: alert.severity, alert, advisory: null, step, capPrevious: null }
  }
  return { build, remember }
}

/** one row per channel that is enabled or has sent before (a channel switched off keeps its counters) */
export function channelStatus (channels: Map<ChannelName, Channel>, flags: Map<ChannelName, { drills: boolean }>, stats: Map<ChannelName, ChannelCounters>, pending: Map<string, number>): ChannelStatus[] {
  const names = new Set<ChannelName>([...channels.keys(), ...stats.keys()])
  return [...names].map(name => {
    const s = stats.get(name)
    return {
      channel: name,
      enabled: channels.has(name),
      drills: flags.get(name)?.drills ?? false,
      sent: s?.sent ?? 0,
      failedAttempts: s?.failedAttempts ?? 0,
      givenUp: s?.givenUp ?? 0,
      consecutiveFailures: s?.consecutiveFailures ?? 0,
      lastSentAt: s?.lastSentAt ?? null,
      lastError: s?.lastError ?? null,
      lastErrorAt: s?.lastErrorAt ?? null,
      pending: pending.get(name) ?? 0
    }
  })
}

/**
 * Runs `round` until it reports no work; one run at a time: a call while one runs
 * marks it to go round again and waits for it. `stop` ends the loop and waits for
 * the round in flight. A failed round is logged; the next tick tries again.
 */
export function createPump (enabled: boolean, round: () => Promise<boolean>, log: Logger): { pump(): Promise<void>, stop(): Promise<void> } {
  let pumping: Promise<void> | undefined
  let again = false
  let closed = false
  const pump = async (): Promise<void> => {
    if (!enabled || closed) return
    if (pumping !== undefined) { again = true; return await pumping }
    pumping = (async () => {
      try {
        do {
          again = false
          while (!closed && await round()) { /* more to do */ }
        } while (again && !closed)
      } catch (err) {
        log.error({ err }, 'notification pump failed; retrying on the next tick')
      } finally {
        pumping = undefined
      }
    })()
    return await pumping
  }
  return {
    pump,
    async stop () {
      closed = true
      await pumping
    }
  }
}
