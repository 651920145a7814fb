import { join, resolve } from 'node:path'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import fastifyCompress from '@fastify/compress'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Static } from 'typebox'
import type { BusEvents, EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import { packageRoot } from '../../core/paths.js'
import type { Store } from '../../store/store.js'
import { registerErrorHandling } from './errors.js'
import { registerAssets } from './assets.js'
import { registerApiCollector, registerApiDocs } from './docs.js'
import { exportRoutes } from './routes/export.js'
import { historyRoutes } from './routes/history.js'
import { evaluateRoutes } from './routes/evaluate.js'
import { BinaryBody, ServerInfoBody, type BacklogReportBody, type DeviceStatusBody } from '../contract/schemas.js'
import { MapSettingsBody } from '../contract/misc.js'
import type { SsePayloads } from '../contract/events.js'
import { createSseHub } from './sse.js'
import { stationRoutes, stationView, type DeviceStatusLookup, type SendDownlink } from './routes/stations.js'
import { cameraRoutes } from './routes/cameras.js'
import { eventRoutes } from './routes/events.js'
import { healthRoutes, type HealthSource } from './routes/health.js'
import { createMetrics } from './metrics.js'
import { mqttAdminRoutes, type UnlockMqtt } from './routes/mqtt-admin.js'
import { READERS, SIGNED_IN } from './auth/access.js'
import { ensureDemoUser, isLoopbackHost, registerAuth } from './auth/index.js'
import type { ServerInfo } from '../contract/server-info.js'
import { displayHost, loopbackHost } from './bind.js'
import { httpsOptions } from './tls.js'
import { alertRoutes, alertView } from './routes/alerts.js'
import { lorawanRoutes, type ForwardUplink } from './routes/lorawan.js'
import { wildlifeRoutes } from './routes/wildlife.js'
import type { Alerts } from '../../alerts/index.js'
import type { NotificationsPort } from '../../core/notify-types.js'
import { notifyRoutes } from './routes/notify.js'
import { officialRoutes } from './routes/official.js'
import { fleetRoutes } from './routes/fleet.js'
import type { DeviceAccounts } from '../../core/fleet/types.js'

/** a child logger may be quieter than its parent, never louder (a silent test logger stays silent) */
function atLeast (log: Logger, level: 'warn'): string {
  return log.levelVal > log.levels.values[level]! ? log.level : level
}

export interface DashboardInfo {
  /** the address to open: the bound host, or this machine's network address for a wildcard bind */
  url: string
  port: number
  /** the demo's one-time sign-in link (loopback URL), when dashboard.auth.demoLogin is on */
  demoLink?: string
  /** served over TLS by this process */
  secure: boolean
  /** bound to a non-loopback address */
  networkBind: boolean
  /** an enabled admin account exists */
  hasAdmin: boolean
}

export interface Dashboard {
  start(): Promise<DashboardInfo>
  close(): Promise<void>
  /** for `inject()` in tests */
  readonly app: FastifyInstance
  readonly sseClients: number
}

export interface DashboardDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  health?: HealthSource
  /** the process's one alerts service (built by the composition root, cli/) */
  alerts: Alerts
  /** publishes gauge downlinks QoS 1 (POST /api/stations/:id/downlink); the all-in-one passes its MQTT client */
  sendDownlink?: SendDownlink
  /** forwards network-server webhook uplinks into the broker (routes/lorawan.ts); the all-in-one passes it */
  forwardUplink?: ForwardUplink
  /**
   * the notifier, typed through core (the dashboard never imports notify/): the all-in-one's drains,
   * a separate dashboard process's only reads and writes rows; built and closed by the composition root
   */
  notifier: NotificationsPort
  /** the all-in-one passes its broker's brute-force unlock (POST /api/admin/mqtt-unlock) */
  unlockMqtt?: UnlockMqtt
  /** MQTT accounts for devices commissioned on the fleet page (the broker's registry, from the process wiring) */
  deviceAccounts?: DeviceAccounts
}

/**
 * Fastify API + SSE + the Leaflet page. Reads go to the store; live changes
 * arrive as bus events and fan out to browsers, so the dashboard never polls.
 */
export function createDashboard ({ config, logger, bus, store, health = () => ({}), alerts, sendDownlink, forwardUplink, notifier, unlockMqtt, deviceAccounts }: DashboardDeps): Dashboard {
  const log = logger.child({ component: 'dashboard' })
  const startedAt = Date.now()
  const hub = createSseHub<SsePayloads>()
  const https = httpsOptions(config)
  const app = Fastify({
    // per-request lines at info would drown the service logs; errors still come through
    loggerInstance: log.child({ component: 'http' }, { level: atLeast(log, 'warn') }) as FastifyBaseLogger,
    ...(https === undefined ? {} : { https }),
    // behind a reverse proxy: client address and https from X-Forwarded-* (docs/security.md)
    trustProxy: config.dashboard.trustProxy,
    bodyLimit: 65_536,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  registerErrorHandling(app, log)
  // OpenAPI collects from here on: every route, the auth routes included, is described (docs.ts)
  registerApiCollector(app)
  // sessions, the one access hook and security headers, before any route (dashboard/server/auth)
  const auth = registerAuth(app, { config, logger })
  const root = packageRoot()
  // before any route: compression and the OpenAPI collector must see every route registered after them
  void app.register(fastifyCompress, { global: true, threshold: 1024, encodings: ['br', 'gzip'] })
  registerApiDocs(app)
  // pages, scripts and styles (public; immutable under build/version prefixes): dashboard/server/assets.ts
  registerAssets(app, root)
  // last retained status per device (online, battery, last seen, last backlog report), fed by the bus below
  const deviceStatus = new Map<string, Static<typeof DeviceStatusBody>>()
  // a backlog report outlives the statuses after it (the next will, the next boot)
  const lastBacklog = new Map<string, Static<typeof BacklogReportBody>>()
  const devices: DeviceStatusLookup = (kind, deviceId) => deviceStatus.get(`${kind}/${deviceId}`)
  void app.register(stationRoutes, { store, devices, ...(sendDownlink === undefined ? {} : { sendDownlink }) })
  void app.register(cameraRoutes, { store, dataDir: config.dataDir, devices })
  void app.register(historyRoutes, { store, config })
  void app.register(evaluateRoutes, { store, config })
  void app.register(exportRoutes, { store, file: resolve(config.dataDir, config.store.file) })
  void app.register(eventRoutes, { hub })
  void app.register(alertRoutes, { alerts })
  void app.register(notifyRoutes, { notifier, alerts })
  void app.register(officialRoutes, { config })
  void app.register(wildlifeRoutes, { config, bus, hub, alerts })
  void app.register(lorawanRoutes, { config, forwardUplink })
  void app.register(mqttAdminRoutes, unlockMqtt === undefined ? {} : { unlockMqtt })
  void app.register(fleetRoutes, { store, bus, accounts: deviceAccounts })
  // per-channel notification figures: /healthz and, through it, /metrics (mimamori_notify_<channel>_sent …)
  const notifyFigures = (): Record<string, Record<string, number>> => Object.fromEntries(notifier.status().map(c =>
    [c.channel, { sent: c.sent, failedAttempts: c.failedAttempts, givenUp: c.givenUp, consecutiveFailures: c.consecutiveFailures, pending: c.pending }]))
  const serviceFigures: HealthSource = () => ({ store: store.backend, sseClients: hub.clients, notify: notifyFigures(), ...health() })
  void app.register(healthRoutes, { startedAt, health: serviceFigures })
  const metrics = createMetrics({ bus, health: serviceFigures, extra: [auth.metrics.registry] })
  const networkBind = !isLoopbackHost(config.dashboard.host)
  // in a plugin like every other route, so OpenAPI (loaded as a plugin too) sees them
  void app.register(async scoped => {
    // public: the sign-in and hunter pages warn before a password or a push subscription crosses plain HTTP
    scoped.get('/api/server-info', {
      config: { access: 'public' },
      schema: { response: { 200: ServerInfoBody } }
    }, async (request): Promise<ServerInfo> => ({ secure: request.protocol === 'https', networkBind, demo: config.dashboard.auth.demoLogin }))
    scoped.get('/metrics', { config: { access: READERS }, schema: { response: { 200: BinaryBody('Prometheus text exposition format') } } }, async (_request, reply) => await reply.type(metrics.contentType).send(await metrics.render()))
    scoped.get('/api/map', { config: { access: SIGNED_IN }, schema: { response: { 200: MapSettingsBody } } }, async () => ({
      center: config.dashboard.map.center,
      zoom: config.dashboard.map.zoom,
      tileUrl: config.dashboard.map.tileUrl,
      tileAttribution: config.dashboard.map.tileAttribution
    }))
  })

  const busKey = {}
  // Built only when someone listens, and coalesced per station within one event-loop turn: under
  // load, group commit settles hundreds of readings in one turn and a map needs only each station's newest.
  const unsentReadings = new Map<string, BusEvents['reading']>()
  let readingFlush: NodeJS.Immediate | undefined
  const flushReadings = (): void => {
    readingFlush = undefined
    for (const { reading, status } of unsentReadings.values()) {
      const station = store.getStation(reading.stationId)
      if (station !== undefined) hub.broadcast('reading', { ...stationView(station, reading), status })
    }
    unsentReadings.clear()
  }
  bus.on('reading', busKey, event => {
    if (hub.clients === 0) return
    const prev = unsentReadings.get(event.reading.stationId)
    if (prev === undefined || prev.reading.time <= event.reading.time) unsentReadings.set(event.reading.stationId, event)
    readingFlush ??= setImmediate(flushReadings)
  })
  bus.on('statusChange', busKey, change => { hub.broadcast('statusChange', { ...change, time: new Date(change.time).toISOString() }) })
  bus.on('deviceStatus', busKey, s => {
    const key = `${s.kind}/${s.deviceId}`
    const time = new Date(s.time).toISOString()
    if (s.backlog != null) {
      const b = s.backlog
      lastBacklog.set(key, { sent: b.sent, summarised: b.summarised, from: new Date(b.from).toISOString(), to: new Date(b.to).toISOString(), time })
    }
    const view = { online: s.online, batteryV: s.batteryV ?? null, lastSeen: s.lastSeen == null ? null : new Date(s.lastSeen).toISOString(), time, lastBacklog: lastBacklog.get(key) ?? null }
    deviceStatus.set(key, view)
    hub.broadcast('deviceStatus', { kind: s.kind, deviceId: s.deviceId, ...view })
  })
  // the map redraws a commissioned, revised, paused or retired device (fleet page or another process)
  bus.on('fleetChange', busKey, change => { hub.broadcast('fleetChange', { ...change, time: new Date(change.time).toISOString() }) })
  bus.on('alert', busKey, ({ alert, from, to }) => { hub.broadcast('alert', { ...alertView(alert), from, to }) })
  bus.on('cameraImage', busKey, ({ image }) => {
    hub.broadcast('cameraImage', {
      cameraId: image.cameraId,
      time: new Date(image.time).toISOString(),
      width: image.width,
      height: image.height,
      imageUrl: `/api/cameras/${image.cameraId}/latest.jpg?t=${image.time}`
    })
  })

  let closing: Promise<void> | undefined
  return {
    app,
    get sseClients () { return hub.clients },
    async start () {
      auth.checkBind()
      if (config.dashboard.auth.demoLogin) await ensureDemoUser(auth.accounts)
      const address = await app.listen({ host: config.dashboard.host, port: config.dashboard.port })
      const port = app.server.address()
      const bound = typeof port === 'object' && port !== null ? port.port : config.dashboard.port
      const scheme = https === undefined ? 'http' : 'https'
      log.info({ address }, 'dashboard listening')
      let demoLink: string | undefined
      if (auth.demoLink !== undefined) {
        const base = `${scheme}://${loopbackHost(config.dashboard.host)}:${bound}`
        demoLink = `${base}/api/auth/demo?token=${auth.demoLink.current()}`
        // the next links (each one is spent on use) go to the log, which is this terminal too
        auth.announceDemoLinks(base)
      }
      return {
        url: `${scheme}://${displayHost(config.dashboard.host)}:${bound}`,
        port: bound,
        ...(demoLink === undefined ? {} : { demoLink }),
        secure: https !== undefined,
        networkBind,
        hasAdmin: auth.accounts.hasAdmin()
      }
    },
    async close () {
      closing ??= (async () => {
        bus.removeListeners(busKey)
        metrics.close()
        if (readingFlush !== undefined) clearImmediate(readingFlush)
        hub.close()
        await app.close()
        auth.close()
        log.info('dashboard closed')
      })()
      return await closing
    }
  }
}
