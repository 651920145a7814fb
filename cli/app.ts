import { createEventBus, type EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Broker } from '../broker/index.js'
import type { Store } from '../store/store.js'
import type { Ingest } from '../ingest/index.js'
import type { Alerts } from '../alerts/index.js'
import type { Notifier } from '../notify/index.js'
import type { Official } from '../official/index.js'
import type { RiverRules } from '../ingest/rules/index.js'
import type { Dashboard } from '../dashboard/server/index.js'
import type { TrailCameraIntake } from '../fleet/index.js'
import { need, runKind } from './compose.js'
import type { CreateBroker } from './components.js'
import { allInOneKind } from './kinds.js'
import type { ProcessParts } from './process-parts.js'

export { openStore, openDeviceAccounts } from './open.js'

export interface AppInfo {
  dashboardUrl: string
  /** the demo's one-time sign-in link (dashboard.auth.demoLogin) */
  demoLink?: string
  /** the dashboard speaks TLS itself */
  dashboardSecure: boolean
  /** the dashboard is bound to a non-loopback address */
  dashboardNetworkBind: boolean
  /** an enabled admin account exists */
  hasAdmin: boolean
  mqttUrl: string
  mqttPort: number
  wsUrl: string
  /** trail camera intake (fleet/): SMTP port and upload base URL, when enabled */
  smtpPort: number | null
  intakeUrl: string | null
}

export interface App {
  start(): Promise<AppInfo>
  /** graceful: the component list in reverse (docs/architecture.md, "Shutdown order"); safe to call twice */
  close(): Promise<void>
  readonly bus: EventBus
  readonly store: Store | undefined
  readonly ingest: Ingest | undefined
  readonly dashboard: Dashboard | undefined
  readonly broker: Broker | undefined
  /** the one alert lifecycle (river rules now; other kinds call the same service) */
  readonly alerts: Alerts | undefined
  /** Web Push, e-mail, webhook, LINE, CAP (notify/); undefined when notify.enabled is false */
  readonly notifier: Notifier | undefined
  /** JMA 防災情報XML intake and 判断補助 (official/); undefined unless official.enabled */
  readonly official: Official | undefined
  /** the notifier the dashboard works with: the sending one, or with notify off one that only reads and writes rows */
  readonly notifications: Notifier | undefined
  readonly rules: RiverRules | undefined
  readonly intake: TrailCameraIntake | undefined
}

/**
 * The all-in-one: broker, store, ingest, dashboard and (optionally) the demo fleet in one
 * process, the component list of cli/kinds.ts `allInOneKind`, built by the same factories the
 * separate commands use. `createBroker` swaps the broker's factory (one Broker interface).
 */
export function createApp ({ config, logger, clock, createBroker }: { config: Config, logger: Logger, clock?: () => number, createBroker?: CreateBroker }): App {
  const bus = createEventBus({ onListenerError: (err, event) => { logger.error({ err, event }, 'bus listener failed') } })
  const parts: ProcessParts = { config, logger, bus, clock }
  const running = runKind(allInOneKind(config, createBroker === undefined ? {} : { createBroker }), logger)
  return {
    bus,
    get store () { return parts.store },
    get ingest () { return parts.ingest },
    get dashboard () { return parts.dashboard },
    get broker () { return parts.broker },
    get alerts () { return parts.alerts },
    // the dashboard always has one (rows only when notify is off); the app shows it only when it sends
    get notifier () { return config.notify.enabled ? parts.notifier : undefined },
    get notifications () { return parts.notifier },
    get official () { return parts.official },
    get rules () { return parts.ingest?.rules },
    get intake () { return parts.intake },
    async start () {
      await running.start(parts)
      return appInfo(config, parts)
    },
    close: running.close
  }
}

function appInfo (config: Config, parts: ProcessParts): AppInfo {
  const web = need(parts.web, 'the dashboard', 'the all-in-one')
  const broker = need(parts.broker, 'the broker', 'the all-in-one')
  const ports = need(parts.ports, 'the broker', 'the all-in-one')
  const wsHost = config.broker.host === '0.0.0.0' ? 'localhost' : config.broker.host
  return {
    dashboardUrl: web.url,
    ...(web.demoLink === undefined ? {} : { demoLink: web.demoLink }),
    dashboardSecure: web.secure,
    dashboardNetworkBind: web.networkBind,
    hasAdmin: web.hasAdmin,
    mqttUrl: broker.url,
    mqttPort: ports.port,
    wsUrl: `ws://${wsHost}:${ports.wsPort}/mqtt`,
    smtpPort: parts.intakeInfo?.smtpPort ?? null,
    intakeUrl: parts.intakeInfo?.httpUrl ?? null
  }
}
