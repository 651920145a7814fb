import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import fastifyCompress from '@fastify/compress'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import { packageRoot } from '../../core/paths.js'
import type { Store } from '../../store/store.js'
import type { Alerts } from '../../alerts/index.js'
import type { NotificationsPort } from '../../core/notify-types.js'
import type { DeviceAccounts } from '../../core/fleet/types.js'
import type { SsePayloads } from '../contract/events.js'
import { registerErrorHandling } from './errors.js'
import { registerAssets } from './assets.js'
import { registerApiCollector, registerApiDocs } from './docs.js'
import { createSseHub } from './sse.js'
import { createMetrics } from './metrics.js'
import { createLiveFeed } from './live-feed.js'
import { registerRoutes } from './register-routes.js'
import type { SendDownlink } from './routes/stations.js'
import type { HealthSource } from './routes/health.js'
import type { UnlockMqtt } from './routes/mqtt-admin.js'
import type { ForwardUplink } from './routes/lorawan.js'
import { ensureDemoUser, isLoopbackHost, registerAuth } from './auth/index.js'
import { displayHost, loopbackHost } from './bind.js'
import { httpsOptions } from './tls.js'

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
  const feed = createLiveFeed({ bus, hub, store, log })
  // per-channel notification figures: /healthz and, through it, /metrics (mimamori_notify_<channel>_sent …)
  const notifyFigures = (): Record<string, Record<string, number>> => Object.fromEntries(notifier.status().map(c =>
    [c.channel, { sent: c.sent, failedAttempts: c.failedAttempts, givenUp: c.givenUp, consecutiveFailures: c.consecutiveFailures, pending: c.pending }]))
  const serviceFigures: HealthSource = () => ({ store: store.backend, sseClients: hub.clients, notify: notifyFigures(), ...health() })
  const metrics = createMetrics({ bus, health: serviceFigures, extra: [auth.metrics.registry] })
  const networkBind = !isLoopbackHost(config.dashboard.host)
  registerRoutes(app, { config, bus, store, hub, alerts, notifier, devices: feed.devices, startedAt, health: serviceFigures, metrics, networkBind, sendDownlink, forwardUplink, unlockMqtt, deviceAccounts })

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
        feed.close()
        metrics.close()
        hub.close()
        await app.close()
        auth.close()
        log.info('dashboard closed')
      })()
      return await closing
    }
  }
}
