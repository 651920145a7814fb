import { resolve } from 'node:path'
import { createEventBus, type EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { createBroker, type Broker } from '../broker/index.js'
import { createEmbeddedStore } from '../ingest/store/embedded.js'
import type { Store } from '../ingest/store/store.js'
import { createIngest, type Ingest } from '../ingest/index.js'
import { createDashboard, type Dashboard } from '../dashboard/server/index.js'
import { createFleet, type Fleet } from '../simulators/fleet.js'

export interface AppInfo {
  dashboardUrl: string
  mqttUrl: string
  mqttPort: number
  wsUrl: string
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
}

export function openStore (config: Config, logger: Logger): Store {
  const store = createEmbeddedStore({ file: resolve(config.dataDir, config.store.file), logger })
  // Stations and cameras come from config; the database keeps them for other processes.
  store.saveStations(config.stations)
  store.saveCameras(config.cameras)
  return store
}

/**
 * The all-in-one: broker, store, ingest, dashboard and (optionally) the demo
 * fleet in one process, wired by the same factories the separate commands use.
 */
export function createApp ({ config, logger }: { config: Config, logger: Logger }): App {
  const bus = createEventBus({ onListenerError: (err, event) => { logger.error({ err, event }, 'bus listener failed') } })
  let broker: Broker | undefined
  let store: Store | undefined
  let ingest: Ingest | undefined
  let dashboard: Dashboard | undefined
  let fleet: Fleet | undefined
  let closing: Promise<void> | undefined

  const app: App = {
    bus,
    get store () { return store },
    get ingest () { return ingest },
    get dashboard () { return dashboard },
    get broker () { return broker },

    async start () {
      try {
        broker = createBroker({ config, logger })
        const ports = await broker.start()
        const localMqtt = broker.url
        store = openStore(config, logger)
        ingest = createIngest({ config, logger, bus, store, mqttUrl: config.ingest.mqttUrl === '' ? localMqtt : config.ingest.mqttUrl })
        await ingest.start()
        const ingestRef = ingest
        const brokerRef = broker
        dashboard = createDashboard({
          config,
          logger,
          bus,
          store,
          health: () => ({ ingest: ingestRef.stats, broker: { clients: brokerRef.connectedClients, ...brokerRef.counters } })
        })
        const web = await dashboard.start()
        if (config.sim.enabled) {
          fleet = createFleet({ config, logger, mqttUrl: config.sim.mqttUrl === '' ? localMqtt : config.sim.mqttUrl })
          await fleet.start()
        }
        const wsHost = config.broker.host === '0.0.0.0' ? 'localhost' : config.broker.host
        return { dashboardUrl: web.url, mqttUrl: localMqtt, mqttPort: ports.port, wsUrl: `ws://${wsHost}:${ports.wsPort}/mqtt` }
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
          ['dashboard', dashboard?.close],
          ['demo fleet', fleet?.close],
          ['ingest', ingest?.close],
          ['store', store?.close],
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

