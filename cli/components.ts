import type { BrokerDeps, Broker } from '../broker/index.js'
import type { FleetCredentials } from '../simulators/fleet.js'
import { SUBSCRIPTIONS } from '../core/topics.js'
import { localBrokerUrl } from './config-source.js'
import { componentOf, need, type Component } from './compose.js'
import type { IntakeGate } from './intake-gate.js'
import type { ProcessParts } from './process-parts.js'

// The components every process kind is listed from (cli/kinds.ts). Each imports its service
// when it starts, so `mimamori broker` loads neither fastify nor sharp nor the ingest.

type Part = Component<ProcessParts>

/** the store; `drain: false` for a process that only reads (a separate dashboard: the ingest drains the outbox) */
export function storeComponent ({ drain = true }: { drain?: boolean } = {}): Part {
  return componentOf('store', async (c: ProcessParts) => {
    const { openStore } = await import('./open.js')
    return (c.store = openStore(c.config, c.logger, { drain }))
  })
}

/** the device registry's accounts for devices commissioned on the fleet page (same database file as the broker's) */
export function deviceRegistryComponent (): Part {
  return componentOf('device registry', async (c: ProcessParts) => {
    const { openDeviceAccounts } = await import('./open.js')
    c.devices = openDeviceAccounts(c.config, c.logger)
    return c.devices.registry
  })
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
  return componentOf('broker', async (c: ProcessParts) => {
    // the all-in-one (threadable): in its own worker thread when broker.thread says so (broker/thread/)
    const createBroker = create ?? (threadable ? (await import('../broker/thread/index.js')).createAppBroker : (await import('../broker/index.js')).createBroker)
    return (c.broker = createBroker({ config: c.config, logger: c.logger, ...(intake === undefined ? {} : { intake }), onFatal: exitAfterShutdown }))
  }, async (broker, c) => { c.ports = await broker.start() })
}

/**
 * The ingest pipeline. With `gate` (the all-in-one's default) the broker hands messages over
 * in-process and PUBACKs after the durable write (ingest/index.ts); without, it subscribes over
 * MQTT like a separate `mimamori ingest` (ingest.mqttUrl, else this process's broker, else the local one).
 */
export function ingestComponent ({ gate }: { gate?: IntakeGate } = {}): Part {
  const ingest = componentOf('ingest', async (c: ProcessParts) => {
    const { createIngest } = await import('../ingest/index.js')
    const deps = { config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'ingest'), alerts: need(c.alerts, 'alerts', 'ingest'), clock: c.clock }
    const mqttUrl = c.config.ingest.mqttUrl !== '' ? c.config.ingest.mqttUrl : c.broker?.url ?? localBrokerUrl(c.config)
    return (c.ingest = createIngest(gate === undefined ? { ...deps, mqttUrl } : deps))
  }, async (local, c) => {
    await local.start()
    if (gate === undefined) return
    gate.open(local)
    // device statuses retained before a restart, as a new subscriber would be given them
    for await (const p of need(c.broker, 'the broker', 'ingest').retained([SUBSCRIPTIONS.status])) {
      await local.take({ topic: p.topic, payload: Buffer.from(p.payload), retain: true }).catch(() => {})
    }
  })
  return { ...ingest, async close () { gate?.shut(); await ingest.close() } }
}

/** cluster mode: one worker of the Redis Streams consumer group the brokers feed (docs/broker.md) */
export function streamIngestComponent (): Part {
  return componentOf('ingest', async (c: ProcessParts) => {
    const { createStreamIngest } = await import('../ingest/cluster/stream-ingest.js')
    return createStreamIngest({ config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'ingest'), alerts: need(c.alerts, 'alerts', 'ingest') })
  }, async worker => { await worker.start() })
}

/** JMA 防災情報XML intake and 判断補助 (official/) */
export function officialComponent (): Part {
  return componentOf('official', async (c: ProcessParts) => {
    const [{ createOfficial }, { resolve }] = await Promise.all([import('../official/index.js'), import('node:path')])
    return (c.official = createOfficial({ config: c.config, logger: c.logger, bus: c.bus, file: resolve(c.config.dataDir, c.config.store.file), store: need(c.store, 'the store', 'official'), clock: c.clock }))
  }, async official => { await official.start() })
}

/**
 * The simulated fleet. Against this process's broker (sim.mqttUrl empty) each demo device gets its
 * own device identity from it, so the ACLs apply to them too; otherwise `credentials` (or anonymous).
 */
export function fleetComponent ({ credentials }: { credentials?: FleetCredentials } = {}): Part {
  return componentOf('demo fleet', async (c: ProcessParts) => {
    const { createFleet } = await import('../simulators/fleet.js')
    const b = c.config.sim.mqttUrl === '' ? c.broker : undefined
    const mqttUrl = c.config.sim.mqttUrl !== '' ? c.config.sim.mqttUrl : b?.url ?? localBrokerUrl(c.config)
    const issued: FleetCredentials | undefined = b === undefined ? credentials : (kind, id) => b.issueCredentials('device', id, kind)
    return (c.fleet = createFleet({ config: c.config, logger: c.logger, mqttUrl, ...(issued === undefined ? {} : { credentials: issued }) }))
  }, async fleet => { await fleet.start() })
}

/** the web dashboard/API, with what earlier components provide (downlinks, webhook uplinks, health figures) */
export function dashboardComponent (): Part {
  return componentOf('dashboard', async (c: ProcessParts) => {
    const [{ createDashboard }, { outboxHealth }] = await Promise.all([import('../dashboard/server/index.js'), import('../store/influx.js')])
    const store = need(c.store, 'the store', 'dashboard')
    const { broker, ingest, sendDownlink, forwardUplink } = c
    return (c.dashboard = createDashboard({
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
    }))
  }, async (dashboard, c) => { c.web = await dashboard.start() })
}

/** trail cameras (mail, upload) enter the same camera pipeline through ingest's in-process intake */
export function trailCameraIntakeComponent (): Part {
  return componentOf('trail camera intake', async (c: ProcessParts) => {
    const { createTrailCameraIntake } = await import('../fleet/index.js')
    const ingest = need(c.ingest, 'ingest', 'the trail camera intake')
    return (c.intake = createTrailCameraIntake({ config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'the trail camera intake'), submit: async msg => { await ingest.take({ ...msg, qos: 1 }) } }))
  }, async (intake, c) => { c.intakeInfo = await intake.start() })
}
