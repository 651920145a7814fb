import { resolve } from 'node:path'
import { createEventBus, type EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Broker, BrokerPorts } from '../broker/index.js'
import { createAppBroker } from '../broker/thread/index.js'
import { createEmbeddedStore } from '../store/embedded.js'
import { createInfluxStore, outboxHealth } from '../store/influx.js'
import type { Store } from '../store/store.js'
import { createIngest, type Ingest } from '../ingest/index.js'
import { createAlerts, type Alerts } from '../alerts/index.js'
import { createNotifier, type Notifier } from '../notify/index.js'
import { createOfficial, type Official } from '../official/index.js'
import type { RiverRules } from '../ingest/rules/index.js'
import { SUBSCRIPTIONS } from '../core/topics.js'
import { createDashboard, type Dashboard } from '../dashboard/server/index.js'
import { createFleet, type Fleet } from '../simulators/fleet.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { createDeviceRegistry, type DeviceRegistry } from '../broker/registry.js'
import type { DeviceAccounts } from '../core/fleet/types.js'
import { createTrailCameraIntake, type TrailCameraIntake } from '../fleet/index.js'

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
  /** graceful, in ARCHITECTURE.md order; safe to call twice */
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

export function openStore (config: Config, logger: Logger, { drain = true }: { drain?: boolean } = {}): Store {
  const file = resolve(config.dataDir, config.store.file)
  const embedded = createEmbeddedStore({ file, logger })
  // The configuration file seeds the fleet registry (store/fleet.ts): an entry is added when new and
  // applied when it changed since the last start; otherwise what staff changed on the fleet page stands.
  embedded.fleet.seed({ stations: config.stations, cameras: config.cameras })
  if (config.store.backend === 'influxdb') {
    // Only the process that ingests drains the outbox; a dashboard process just reads.
    return createInfluxStore({ embedded, file, influx: config.store.influx, logger, drain })
  }
  return embedded
}

/** MQTT accounts for devices commissioned on the fleet page: the broker's registry in the same database file */
export function openDeviceAccounts (config: Config, logger: Logger): { accounts: DeviceAccounts, registry: DeviceRegistry } {
  const registry = createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger })
  return {
    registry,
    accounts: {
      add: async (id, kind, stationId) => {
        const { account, secret } = await registry.add({ id, role: 'device', kind, ...(stationId === undefined ? {} : { stationId }) })
        return { username: account.id, password: secret }
      },
      revoke: id => { registry.revoke(id) }
    }
  }
}

/**
 * The all-in-one: broker, store, ingest, dashboard and (optionally) the demo
 * fleet in one process, wired by the same factories the separate commands use.
 */
export function createApp ({ config, logger, clock }: { config: Config, logger: Logger, clock?: () => number }): App {
  const bus = createEventBus({ onListenerError: (err, event) => { logger.error({ err, event }, 'bus listener failed') } })
  let broker: Broker | undefined
  let store: Store | undefined
  let ingest: Ingest | undefined
  let dashboard: Dashboard | undefined
  let alerts: Alerts | undefined
  let notifier: Notifier | undefined
  let official: Official | undefined
  let fleet: Fleet | undefined
  let downlinkClient: Promise<MqttClient> | undefined
  let webhookClient: Promise<MqttClient> | undefined
  let registry: DeviceRegistry | undefined
  let intake: TrailCameraIntake | undefined
  let closing: Promise<void> | undefined
  // the broker thread died and could not be started again (broker/thread/host.ts, logged there):
  // shut down in order and exit non-zero, so the service manager starts the whole process again
  const onFatal = (): void => { void app.close().finally(() => { process.exit(1) }) }

  const app: App = {
    bus,
    get store () { return store },
    get ingest () { return ingest },
    get dashboard () { return dashboard },
    get broker () { return broker },
    get alerts () { return alerts },
    // the dashboard always has one (rows only when notify is off); the app shows it only when it sends
    get notifier () { return config.notify.enabled ? notifier : undefined },
    get notifications () { return notifier },
    get official () { return official },
    get rules () { return ingest?.rules },
    get intake () { return intake },

    async start () {
      try {
        store = openStore(config, logger)
        alerts = createAlerts({ file: resolve(config.dataDir, config.store.file), logger, bus, clock })
        // the process that owns alerts drains their notifications (notify/: outbox committed with each transition);
        // with notify off the dashboard still reads and writes the rows through a notifier that does not drain
        notifier = createNotifier({ config, logger, bus, store, alerts, clock, drain: config.notify.enabled })
        if (config.notify.enabled) await notifier.start()
        if (config.official.enabled) {
          official = createOfficial({ config, logger, bus, file: resolve(config.dataDir, config.store.file), store, clock })
          await official.start()
        }
        // In-process by default: the broker hands every ingest topic to the pipeline and PUBACKs
        // after the durable write (ingest/index.ts). A configured ingest broker or account means
        // ingest subscribes over MQTT like a separate `mimamori ingest`.
        const inProcess = config.ingest.mqttUrl === '' && config.ingest.username === ''
        let ports: BrokerPorts
        if (inProcess) {
          const local = ingest = createIngest({ config, logger, bus, store, clock, alerts })
          // started before the broker listens, so no device message finds it closed
          await local.start()
          broker = createAppBroker({ config, logger, intake: local, onFatal })
          ports = await broker.start()
          // device statuses retained before a restart, as a new subscriber would be given them
          for await (const p of broker.retained([SUBSCRIPTIONS.status])) {
            await local.take({ topic: p.topic, payload: Buffer.from(p.payload), retain: true }).catch(() => {})
          }
        } else {
          broker = createAppBroker({ config, logger, onFatal })
          ports = await broker.start()
          ingest = createIngest({ config, logger, bus, store, clock, alerts, mqttUrl: config.ingest.mqttUrl === '' ? broker.url : config.ingest.mqttUrl })
          await ingest.start()
        }
        const localMqtt = broker.url
        const ingestRef = ingest
        const brokerRef = broker
        // Operator downlinks leave through a dashboard-role connection (ACL: may write .../down only),
        // opened on first use so an app that never sends one holds no extra session.
        const sendDownlink = async (topic: string, payload: Buffer): Promise<void> => {
          downlinkClient ??= connectMqtt({ url: localMqtt, clientId: 'dashboard-downlink', ...brokerRef.issueCredentials('dashboard', 'dashboard-downlink'), logger: logger.child({ component: 'downlink' }) })
            .catch((err: unknown) => { downlinkClient = undefined; throw err })
          await (await downlinkClient).publishAsync(topic, payload, { qos: 1 })
        }
        // Webhook uplinks (dashboard/server/routes/lorawan.ts) enter as a network-server account, QoS 1:
        // the PUBACK comes once ingest settled them, so a 202 means taken (stored, duplicate or refused).
        const forwardUplink = async (topic: string, payload: Buffer): Promise<void> => {
          webhookClient ??= connectMqtt({ url: localMqtt, clientId: 'lorawan-webhook', ...brokerRef.issueCredentials('chirpstack', 'lorawan-webhook'), logger: logger.child({ component: 'lorawan-webhook' }) })
            .catch((err: unknown) => { webhookClient = undefined; throw err })
          await (await webhookClient).publishAsync(topic, payload, { qos: 1 })
        }
        // devices commissioned on the fleet page get their MQTT account in the broker's registry (same file)
        const accounts = openDeviceAccounts(config, logger)
        registry = accounts.registry
        const deviceAccounts = accounts.accounts
        dashboard = createDashboard({
          config,
          deviceAccounts,
          logger,
          bus,
          store,
          forwardUplink,
          alerts,
          sendDownlink,
          unlockMqtt: target => brokerRef.unlockAuth(target),
          notifier,
          health: () => ({ ingest: ingestRef.stats, codecs: ingestRef.codecs.health(), broker: { clients: brokerRef.connectedClients, ...brokerRef.counters }, ...outboxHealth(store) })
        })
        const web = await dashboard.start()
        if (config.sim.enabled) {
          const local = config.sim.mqttUrl === ''
          const b = broker
          fleet = createFleet({
            config,
            logger,
            mqttUrl: local ? localMqtt : config.sim.mqttUrl,
            // demo devices get their own device identity, so the ACLs apply to them too
            ...(local ? { credentials: (kind: 'gauge' | 'camera', id: string) => b.issueCredentials('device', id, kind) } : {})
          })
          await fleet.start()
        }
        // trail cameras (mail, upload) enter the same camera pipeline through ingest's intake
        let intakeInfo: { smtpPort: number | null, httpUrl: string | null } = { smtpPort: null, httpUrl: null }
        if (config.intake.smtp.enabled || config.intake.http.enabled) {
          const i = ingestRef
          intake = createTrailCameraIntake({ config, logger, bus, store, submit: async msg => { await i.take({ ...msg, qos: 1 }) } })
          intakeInfo = await intake.start()
        }
        const wsHost = config.broker.host === '0.0.0.0' ? 'localhost' : config.broker.host
        return {
          dashboardUrl: web.url,
          ...(web.demoLink === undefined ? {} : { demoLink: web.demoLink }),
          dashboardSecure: web.secure,
          dashboardNetworkBind: web.networkBind,
          hasAdmin: web.hasAdmin,
          mqttUrl: localMqtt, mqttPort: ports.port,
          wsUrl: `ws://${wsHost}:${ports.wsPort}/mqtt`,
          smtpPort: intakeInfo.smtpPort,
          intakeUrl: intakeInfo.httpUrl
        }
      } catch (err) {
        await app.close()
        throw err
      }
    },

    async close () {
      closing ??= (async () => {
        // Each step is attempted even if an earlier one fails: a stuck dashboard
        // must not keep readings unflushed or the broker port bound.
        const steps: Array<[string, (() => Promise<void>) | undefined]> = [
          ['trail camera intake', intake?.close],
          ['dashboard', dashboard?.close],
          ['downlinks', downlinkClient === undefined ? undefined : async () => { await endMqtt(await downlinkClient!) }],
          ['webhook uplinks', webhookClient === undefined ? undefined : async () => { await endMqtt(await webhookClient!) }],
          ['demo fleet', fleet?.close],
          ['ingest', ingest?.close],
          ['official', official?.close],
          ['notifier', notifier?.close],
          ['alerts', alerts?.close],
          ['store', store?.close],
          ['device registry', registry === undefined ? undefined : async () => { registry?.close() }],
          ['broker', broker?.close]
        ]
        for (const [name, step] of steps) {
          if (step === undefined) continue
          try {
            logger.info({ step: name }, 'shutdown step')
            await step()
          } catch (err) {
            logger.error({ err, step: name }, 'shutdown step failed')
          }
        }
        logger.flush()
      })()
      return await closing
    }
  }
  return app
}

