import { trendWindowOf } from '../core/river/trend.js'
import { resolve } from 'node:path'
import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Alerts } from '../alerts/index.js'
import type { NotificationsPort } from '../core/notify-types.js'
import { capAtomFeed } from './cap-xml.js'
import type { Store } from '../store/store.js'
import { createAdvisories, type Advisories } from './advisory.js'
import { createDeliveryDrain } from './drain.js'
import { escalate } from './escalation.js'
import { deliveriesFor, isHistorical } from './fanout.js'
import { createOfficialRepository } from '../store/official.js'
import type { Suggestion } from '../core/official-criteria.js'
import { openNotifyStore, type NotifyStore } from './store.js'
import type { Channel, ChannelStatus } from './types.js'
import { loadVapidKeys } from './vapid.js'
import { buildChannels, channelStatus, createNotificationBuilder, createPump, placeOf, wordingContext } from './notifier-parts.js'

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
  const ctx = wordingContext(publicUrl, n.timezone, store)
  const cc = n.channels
  const vapid = cc.webpush.enabled ? loadVapidKeys(cc.webpush, config.dataDir) : { publicKey: '', privateKey: '' }
  const { channels, channelFlags } = buildChannels({ config, given, vapid, nstore, ctx, pushAgent })

  const { build, remember } = createNotificationBuilder(nstore, ctx)

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
      remember(e)
      const list = deliveriesFor(e, { subscriptions, channels: channelFlags, place: alert => placeOf(alert, store), timezone: n.timezone, now: clock(), sendHistorical: n.historical.send })
      nstore.fanOut(e.id, list, clock())
    }
    return batch.length
  }

  // fan out and drain until a round finds nothing to do; one round at a time, a call during it runs another after it
  const pumper = createPump(drain, async () => fanOutPending() + await drainer.round() > 0, log)
  const pump = pumper.pump
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
    status: () => channelStatus(channels, channelFlags, drainer.stats, nstore.pendingByChannel()),
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
        // what is in flight finishes (or its lease expires and it is sent after the next start)
        await pumper.stop()
        for (const c of channels.values()) await c.close?.().catch((err: unknown) => { log.warn({ err, channel: c.name }, 'channel close failed') })
        nstore.close()
      })()
      return await closing
    }
  }
}
