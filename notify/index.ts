import { trendWindowOf } from '../core/river/trend.js'
import { resolve } from 'node:path'
import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Alert } from '../core/types.js'
import type { Alerts } from '../alerts/index.js'
import type { NotificationsPort } from '../core/notify-types.js'
import { capAtomFeed } from './cap-xml.js'
import type { Store } from '../store/store.js'
import { createAdvisories, type Advisories } from './advisory.js'
import { createCapChannel } from './channels/cap.js'
import { createEmailChannel } from './channels/email.js'
import { createLineChannel } from './channels/line.js'
import { createWebhookChannel } from './channels/webhook.js'
import { createWebPushChannel } from './channels/webpush.js'
import { createDeliveryDrain } from './drain.js'
import { escalate } from './escalation.js'
import { deliveriesFor, isDrill, isHistorical, notifyKind } from './fanout.js'
import { mlitLevel } from './levels.js'
import { advisoryWording, alertWording, stationLabel, type WordingContext } from './message.js'
import type { Place } from './routing.js'
import { createOfficialRepository } from '../store/official.js'
import type { Suggestion } from '../core/official-criteria.js'
import { openNotifyStore, type DeliveryRow, type NotifyEventRow, type NotifyStore } from './store.js'
import type { Advisory, Channel, ChannelName, ChannelStatus, Notification } from './types.js'
import { loadVapidKeys } from './vapid.js'

export type { Advisory, Channel, ChannelName, ChannelStatus, Notification } from './types.js'
export type { Advisories } from './advisory.js'

/** The notifier; the dashboard sees it as core's NotificationsPort (figures, subscriptions, advisories, the CAP feed). */
export interface Notifier extends NotificationsPort {
  start(): Promise<void>
  close(): Promise<void>
  /** fan out and send what is due now (also runs on its own); resolves when this round is done */
  pump(): Promise<void>
  /** take due escalation steps now (also runs on a timer) */
  checkEscalations(now?: number): number
  status(): ChannelStatus[]
  readonly store: NotifyStore
  readonly advisories: Advisories
  readonly vapidPublicKey: string
  readonly publicUrl: string
  readonly timezone: string
  readonly capSender: string
  readonly capSenderName: string
}

export interface NotifierDeps {
  config: Config
  logger: Logger
  bus?: EventBus | undefined
  /** stations and cameras (where an alert is, its river); readings for advisory drafts */
  store?: Store | undefined
  /** the one alert lifecycle of the process (built by the composition root, cli/); firing alerts are read from it for escalation */
  alerts: Alerts
  /** the embedded SQLite file; default dataDir/store.file */
  file?: string | undefined
  clock?: (() => number) | undefined
  /** replaces the channels built from config (tests, benches) */
  channels?: Channel[] | undefined
  /** only the process that owns alerts drains and escalates; a dashboard process only reads and writes rows */
  drain?: boolean | undefined
  /** HTTPS agent for Web Push requests (a proxy, or a private CA in tests) */
  pushAgent?: import('node:https').Agent | undefined
}

/**
 * The notifier: reads the durable outbox (notify_events, written in the same
 * transaction as each alert transition or advisory), fans every event out to one
 * delivery per recipient × channel, and drains deliveries with retries. Channels
 * are one interface (`Channel.send`); which exist comes from `notify.channels`.
 */
export function createNotifier ({ config, logger, bus, store, alerts, file, clock = Date.now, channels: given, drain = true, pushAgent }: NotifierDeps): Notifier {
  const log = logger.child({ component: 'notify' })
  const n = config.notify
  const dbFile = file ?? resolve(config.dataDir, config.store.file)
  const nstore = openNotifyStore(dbFile)
  // 判断補助 suggestions written by official/ (same database): the advisory draft is pre-filled from them
  const officialRepo = createOfficialRepository(nstore.db)
  const alertsRef: Alerts = alerts
  const publicUrl = (n.publicUrl === '' ? `http://localhost:${config.dashboard.port}` : n.publicUrl).replace(/\/$/, '')
  const ctx: WordingContext = {
    publicUrl,
    timezone: n.timezone,
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
  const cc = n.channels
  const vapid = cc.webpush.enabled ? loadVapidKeys(cc.webpush, config.dataDir) : { publicKey: '', privateKey: '' }
  const channels = new Map<ChannelName, Channel>()
  const channelFlags = new Map<ChannelName, { drills: boolean }>()
  const add = (c: Channel, drills: boolean): void => { channels.set(c.name, c); channelFlags.set(c.name, { drills }) }
  if (given !== undefined) {
    for (const c of given) add(c, cc[c.name].drills)
  } else {
    if (cc.webpush.enabled) add(createWebPushChannel({ ...vapid, subject: cc.webpush.subject, ttlSeconds: cc.webpush.ttlSeconds, timeoutMs: n.timeoutMs, agent: pushAgent }), cc.webpush.drills)
    if (cc.email.enabled && cc.email.host !== '') add(createEmailChannel({ ...cc.email, timeoutMs: n.timeoutMs }), cc.email.drills)
    if (cc.webhook.enabled && cc.webhook.secret !== '') add(createWebhookChannel({ secret: cc.webhook.secret, timeoutMs: n.timeoutMs }), cc.webhook.drills)
    if (cc.line.enabled && cc.line.channelAccessToken !== '') add(createLineChannel({ ...cc.line, timeoutMs: n.timeoutMs }), cc.line.drills)
    if (cc.cap.enabled) add(createCapChannel({ store: nstore, ctx: { ...ctx, sender: cc.cap.sender, senderName: cc.cap.senderName } }), cc.cap.drills)
  }

  const place = (alert: Alert): Place | undefined => {
    if (alert.kind === 'river') {
      const s = store?.getStation(alert.subjectId)
      return s === undefined ? undefined : { lat: s.lat, lon: s.lon, river: s.river }
    }
    const c = store?.getCamera(alert.subjectId)
    if (c !== undefined) return { lat: c.lat, lon: c.lon, river: null }
    const { lat, lon } = alert.details
    return typeof lat === 'number' && typeof lon === 'number' ? { lat, lon, river: null } : undefined
  }

  const events = new Map<number, NotifyEventRow>()
  const eventOf = (id: number): NotifyEventRow | undefined => {
    let e = events.get(id)
    if (e === undefined) {
      e = nstore.event(id)
      if (e !== undefined) events.set(id, e)
      if (events.size > 1000) events.delete(events.keys().next().value!)
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

  const drainer = createDeliveryDrain({
    store: nstore,
    channels,
    build,
    logger,
    batchSize: n.batchSize,
    concurrency: n.concurrency,
    timeoutMs: n.timeoutMs,
    retryMinMs: n.retryMinMs,
    retryMaxMs: n.retryMaxMs,
    maxAttempts: n.maxAttempts,
    clock,
    onGone: d => {
      // a browser that dropped its push subscription will never take one again
      if (d.channel === 'webpush' && nstore.deleteSubscription(d.recipient)) log.info({ subscription: d.recipient }, 'push subscription gone: removed')
    }
  })

  const fanOutPending = (): number => {
    const batch = nstore.unfanned(500)
    if (batch.length === 0) return 0
    const subscriptions = nstore.subscriptions()
    for (const e of batch) {
      events.set(e.id, e)
      const list = deliveriesFor(e, { subscriptions, channels: channelFlags, place, timezone: n.timezone, now: clock(), sendHistorical: n.historical.send })
      nstore.fanOut(e.id, list, clock())
    }
    return batch.length
  }

  let pumping: Promise<void> | undefined
  let again = false
  let closed = false
  const pump = async (): Promise<void> => {
    if (!drain || closed) return
    if (pumping !== undefined) { again = true; return await pumping }
    pumping = (async () => {
      try {
        do {
          again = false
          while (!closed) {
            const fanned = fanOutPending()
            const sent = await drainer.round()
            if (fanned === 0 && sent === 0) break
          }
        } while (again && !closed)
      } catch (err) {
        log.error({ err }, 'notification pump failed; retrying on the next tick')
      } finally {
        pumping = undefined
      }
    })()
    return await pumping
  }

  const kick = (): void => { void pump() }
  const advisories = createAdvisories({
    nstore,
    store,
    getAlert: id => alertsRef.get(id),
    findOpenAlert: (stationId, rule, drill) => alertsRef.findOpen({ kind: 'river', subjectId: stationId, rule, drill }),
    timezone: n.timezone,
    trendWindow: trendWindowOf(config.river.rules),
    clock,
    officialSuggestion: code => officialRepo.suggestions().find(r => r.areaCode === code)?.doc as Suggestion | undefined,
    officialTelegram: id => officialRepo.telegram(id),
    kick
  })

  const checkEscalations = (now = clock()): number => {
    if (!n.escalation.enabled) return 0
    // an alert nobody was told about (historical data) is not escalated either
    const firing = alertsRef.list({ state: 'firing', limit: 1000 }).filter(a => n.historical.send || !isHistorical(a))
    const taken = escalate(nstore, firing, n.escalation, now, (id, by, note, time) => { alertsRef.annotate(id, by, note, { time }) })
    if (taken > 0) kick()
    return taken
  }

  const busKey = {}
  const timers: NodeJS.Timeout[] = []
  let closing: Promise<void> | undefined

  return {
    store: nstore,
    advisories,
    vapidPublicKey: vapid.publicKey,
    publicUrl,
    timezone: n.timezone,
    capSender: cc.cap.sender,
    capSenderName: cc.cap.senderName,
    capFeed: limit => capAtomFeed(nstore.capEntries(limit, false), { sender: cc.cap.sender, senderName: cc.cap.senderName, publicUrl, timezone: n.timezone }),
    pump,
    checkEscalations,
    status () {
      const pending = nstore.pendingByChannel()
      const names = new Set<ChannelName>([...channels.keys(), ...drainer.stats.keys()])
      return [...names].map(name => {
        const s = drainer.stats.get(name)
        return {
          channel: name,
          enabled: channels.has(name),
          drills: channelFlags.get(name)?.drills ?? false,
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
    },
    async start () {
      for (const s of n.subscriptions) nstore.upsertSubscription(s, clock())
      if (!drain) return
      bus?.on('alert', busKey, kick)
      timers.push(setInterval(kick, n.pollMs))
      if (n.escalation.enabled) timers.push(setInterval(() => { try { checkEscalations() } catch (err) { log.error({ err }, 'escalation check failed') } }, n.escalation.checkIntervalMs))
      timers.push(setInterval(() => {
        try { nstore.prune(clock() - n.keepDays * 86_400_000) } catch (err) { log.warn({ err }, 'notification prune failed') }
      }, 3_600_000))
      for (const t of timers) t.unref()
      log.info({ channels: [...channels.keys()], subscriptions: nstore.subscriptions().length }, 'notifier started')
      kick()
    },
    async close () {
      closing ??= (async () => {
        bus?.removeListeners(busKey)
        for (const t of timers) clearInterval(t)
        closed = true
        // what is in flight finishes (or its lease expires and it is sent after the next start)
        await pumping
        for (const c of channels.values()) await c.close?.().catch((err: unknown) => { log.warn({ err, channel: c.name }, 'channel close failed') })
        nstore.close()
      })()
      return await closing
    }
  }
}
