import type { BrokerDeps, Broker } from '../broker/index.js'
import type { FleetCredentials } from '../simulators/fleet.js'
import { SUBSCRIPTIONS } from '../core/topics.js'
import { localBrokerUrl } from './config-source.js'
import { need, type Component } from './compose.js'
import type { IntakeGate } from './intake-gate.js'
import type { ProcessParts } from './process-parts.js'

// The components every process kind is listed from (cli/kinds.ts). Each imports its service
// when it starts, so `mimamori broker` loads neither fastify nor sharp nor the ingest.

type Part = Component<ProcessParts>

/** the store; `drain: false` for a process that only reads (a separate dashboard: the ingest drains the outbox) */
export function storeComponent ({ drain = true }: { drain?: boolean } = {}): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'store',
    async start (c) {
      ctx = c
      const { openStore } = await import('./open.js')
      c.store = openStore(c.config, c.logger, { drain })
    },
    async close () { await ctx?.store?.close() }
  }
}

/** the device registry's accounts for devices commissioned on the fleet page (same database file as the broker's) */
export function deviceRegistryComponent (): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'device registry',
    async start (c) {
      ctx = c
      const { openDeviceAccounts } = await import('./open.js')
      c.devices = openDeviceAccounts(c.config, c.logger)
    },
    close () { ctx?.devices?.registry.close() }
  }
}

export type CreateBroker = (deps: BrokerDeps & { onFatal?: () => void }) => Broker

/**
 * The broker thread died and could not be started again (broker/thread/host.ts logged it coded):
 * the normal shutdown runs (cli/main.ts, SIGTERM) and the process exits 1 for the service manager.
 */
function exitAfterShutdown (): void {
  process.exitCode = 1
  process.kill(process.pid, 'SIGTERM')
}

/**
 * The MQTT broker. `intake` (the all-in-one) hands every ingest topic to the in-process ingest;
 * `create` swaps the factory (one Broker interface, wherever it runs).
 */
export function brokerComponent ({ intake, create, threadable = false }: { intake?: IntakeGate, create?: CreateBroker, threadable?: boolean } = {}): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'broker',
    async start (c) {
      ctx = c
      // the all-in-one (threadable): in its own worker thread when broker.thread says so (broker/thread/)
      const createBroker = create ?? (threadable ? (await import('../broker/thread/index.js')).createAppBroker : (await import('../broker/index.js')).createBroker)
      c.broker = createBroker({ config: c.config, logger: c.logger, ...(intake === undefined ? {} : { intake }), onFatal: exitAfterShutdown })
      c.ports = await c.broker.start()
    },
    async close () { await ctx?.broker?.close() }
  }
}

/**
 * The ingest pipeline. With `gate` (the all-in-one's default) the broker hands messages over
 * in-process and PUBACKs after the durable write (ingest/index.ts); without, it subscribes over
 * MQTT like a separate `mimamori ingest` (ingest.mqttUrl, else this process's broker, else the local one).
 */
export function ingestComponent ({ gate }: { gate?: IntakeGate } = {}): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'ingest',
    async start (c) {
      ctx = c
      const { createIngest } = await import('../ingest/index.js')
      const deps = { config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'ingest'), alerts: need(c.alerts, 'alerts', 'ingest'), clock: c.clock }
      if (gate === undefined) {
        const mqttUrl = c.config.ingest.mqttUrl !== '' ? c.config.ingest.mqttUrl : c.broker?.url ?? localBrokerUrl(c.config)
        c.ingest = createIngest({ ...deps, mqttUrl })
        await c.ingest.start()
        return
      }
      const local = c.ingest = createIngest(deps)
      await local.start()
      gate.open(local)
      // device statuses retained before a restart, as a new subscriber would be given them
      for await (const p of need(c.broker, 'the broker', 'ingest').retained([SUBSCRIPTIONS.status])) {
        await local.take({ topic: p.topic, payload: Buffer.from(p.payload), retain: true }).catch(() => {})
      }
    },
    async close () {
      gate?.shut()
      await ctx?.ingest?.close()
    }
  }
}

/** cluster mode: one worker of the Redis Streams consumer group the brokers feed (docs/broker.md) */
export function streamIngestComponent (): Part {
  let close: (() => Promise<void>) | undefined
  return {
    name: 'ingest',
    async start (c) {
      const { createStreamIngest } = await import('../ingest/cluster/stream-ingest.js')
      const worker = createStreamIngest({ config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'ingest'), alerts: need(c.alerts, 'alerts', 'ingest') })
      close = worker.close
      await worker.start()
    },
    async close () { await close?.() }
  }
}

/** JMA 防災情報XML intake and 判断補助 (official/) */
export function officialComponent (): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'official',
    async start (c) {
      ctx = c
      const [{ createOfficial }, { resolve }] = await Promise.all([import('../official/index.js'), import('node:path')])
      c.official = createOfficial({ config: c.config, logger: c.logger, bus: c.bus, file: resolve(c.config.dataDir, c.config.store.file), store: need(c.store, 'the store', 'official'), clock: c.clock })
      await c.official.start()
    },
    async close () { await ctx?.official?.close() }
  }
}

/**
 * The simulated fleet. Against this process's broker (sim.mqttUrl empty) each demo device gets its
 * own device identity from it, so the ACLs apply to them too; otherwise `credentials` (or anonymous).
 */
export function fleetComponent ({ credentials }: { credentials?: FleetCredentials } = {}): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'demo fleet',
    async start (c) {
      ctx = c
      const { createFleet } = await import('../simulators/fleet.js')
      const b = c.config.sim.mqttUrl === '' ? c.broker : undefined
      const mqttUrl = c.config.sim.mqttUrl !== '' ? c.config.sim.mqttUrl : b?.url ?? localBrokerUrl(c.config)
      const issued: FleetCredentials | undefined = b === undefined ? credentials : (kind, id) => b.issueCredentials('device', id, kind)
      c.fleet = createFleet({ config: c.config, logger: c.logger, mqttUrl, ...(issued === undefined ? {} : { credentials: issued }) })
      await c.fleet.start()
    },
    async close () { await ctx?.fleet?.close() }
  }
}

/** the web dashboard/API, with what earlier components provide (downlinks, webhook uplinks, health figures) */
export function dashboardComponent (): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'dashboard',
    async start (c) {
      ctx = c
      const [{ createDashboard }, { outboxHealth }] = await Promise.all([import('../dashboard/server/index.js'), import('../store/influx.js')])
      const store = need(c.store, 'the store', 'dashboard')
      const { broker, ingest, sendDownlink, forwardUplink } = c
      c.dashboard = createDashboard({
        config: c.config,
        logger: c.logger,
        bus: c.bus,
        store,
        alerts: need(c.alerts, 'alerts', 'dashboard'),
        notifier: need(c.notifier, 'the notifier', 'dashboard'),
        ...(c.devices === undefined ? {} : { deviceAccounts: c.devices.accounts }),
        ...(sendDownlink === undefined ? {} : { sendDownlink }),
        ...(forwardUplink === undefined ? {} : { forwardUplink }),
        ...(broker === undefined ? {} : { unlockMqtt: (target?: string) => broker.unlockAuth(target) }),
        ...(broker === undefined || ingest === undefined
          ? {}
          : { health: () => ({ ingest: ingest.stats, codecs: ingest.codecs.health(), broker: { clients: broker.connectedClients, ...broker.counters }, ...outboxHealth(store) }) })
      })
      c.web = await c.dashboard.start()
    },
    async close () { await ctx?.dashboard?.close() }
  }
}

/** trail cameras (mail, upload) enter the same camera pipeline through ingest's in-process intake */
export function trailCameraIntakeComponent (): Part {
  let ctx: ProcessParts | undefined
  return {
    name: 'trail camera intake',
    async start (c) {
      ctx = c
      const { createTrailCameraIntake } = await import('../fleet/index.js')
      const ingest = need(c.ingest, 'ingest', 'the trail camera intake')
      c.intake = createTrailCameraIntake({ config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'the trail camera intake'), submit: async msg => { await ingest.take({ ...msg, qos: 1 }) } })
      c.intakeInfo = await c.intake.start()
    },
    async close () { await ctx?.intake?.close() }
  }
}
