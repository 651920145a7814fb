import type { Config } from '../core/config/schema.js'
import type { FleetCredentials } from '../simulators/fleet.js'
import { localBrokerUrl } from './config-source.js'
import type { ProcessKind } from './compose.js'
import {
  brokerComponent, dashboardComponent, deviceRegistryComponent, fleetComponent, ingestComponent, officialComponent,
  storeComponent, streamIngestComponent, trailCameraIntakeComponent, type CreateBroker
} from './components.js'
import { createIntakeGate } from './intake-gate.js'
import { busEventsInComponent, busEventsOutComponent, downlinksComponent, webhookUplinksComponent } from './mqtt-links.js'
import { alertsComponent, notifierComponent } from './parts.js'
import type { ProcessParts } from './process-parts.js'

// Every process kind as one ordered list (cli/compose.ts): started first to last, closed last to
// first. So the shutdown order of docs/architecture.md is this list read backwards.

type Kind = ProcessKind<ProcessParts>

/**
 * The all-in-one. The broker is first so that it closes last, once ingest has settled and acked
 * what is in flight; in-process (the default) its device messages wait in the intake gate until
 * ingest has started. A configured ingest broker or account means ingest subscribes over MQTT.
 */
export function allInOneKind (config: Config, { createBroker }: { createBroker?: CreateBroker } = {}): Kind {
  const inProcess = config.ingest.mqttUrl === '' && config.ingest.username === ''
  const gate = inProcess ? createIntakeGate() : undefined
  return [
    brokerComponent({ threadable: true, ...(gate === undefined ? {} : { intake: gate }), ...(createBroker === undefined ? {} : { create: createBroker }) }),
    deviceRegistryComponent(),
    storeComponent(),
    alertsComponent(),
    // always one: it drains only with notify.enabled, and the dashboard reads and writes its rows either way
    notifierComponent({ sends: true, serves: true }),
    ...(config.official.enabled ? [officialComponent()] : []),
    ingestComponent(gate === undefined ? {} : { gate }),
    ...(config.sim.enabled ? [fleetComponent()] : []),
    webhookUplinksComponent(),
    downlinksComponent(),
    dashboardComponent(),
    ...(config.intake.smtp.enabled || config.intake.http.enabled ? [trailCameraIntakeComponent()] : [])
  ]
}

export function brokerKind (): Kind {
  return [brokerComponent()]
}

/**
 * `mimamori ingest`: subscribes to the broker; one alerts service, through which the river rules
 * and wildlife raise, and the notifications leave from here; bus events go out for dashboards.
 */
export function ingestKind (config: Config): Kind {
  const url = config.ingest.mqttUrl === '' ? localBrokerUrl(config) : config.ingest.mqttUrl
  return [
    storeComponent(),
    busEventsOutComponent({ url, clientId: `${config.ingest.clientId}-events` }),
    alertsComponent(),
    notifierComponent({ sends: true, serves: false }),
    ingestComponent()
  ]
}

/**
 * `mimamori ingest` in cluster mode: one worker of the Redis Streams consumer group. Every worker
 * may drain notifications: deliveries are claimed with a lease and escalation steps re-checked in
 * one transaction of the shared database. Live events go out only through a broker that is named.
 */
export function clusterWorkerKind (config: Config): Kind {
  return [
    storeComponent(),
    ...(config.ingest.mqttUrl === '' ? [] : [busEventsOutComponent({ url: config.ingest.mqttUrl, clientId: `${config.ingest.clientId}-events-${process.pid}` })]),
    alertsComponent(),
    notifierComponent({ sends: true, serves: false }),
    streamIngestComponent()
  ]
}

/** `mimamori dashboard`: follows ingest's events over MQTT; reads the shared database, sends nothing */
export function dashboardKind (config: Config): Kind {
  const url = config.dashboard.mqttUrl === '' ? localBrokerUrl(config) : config.dashboard.mqttUrl
  const clientId = `${config.dashboard.mqttUsername === '' ? 'mimamori-dashboard' : config.dashboard.mqttUsername}-${process.pid}`
  return [
    storeComponent({ drain: false }),
    busEventsInComponent({ url, clientId }),
    alertsComponent(),
    notifierComponent({ sends: false, serves: true }),
    deviceRegistryComponent(),
    dashboardComponent()
  ]
}

/** `mimamori sim`: the simulated fleet, with device credentials for a broker with anonymous off */
export function simKind ({ credentials }: { credentials?: FleetCredentials | undefined }): Kind {
  return [fleetComponent(credentials === undefined ? {} : { credentials })]
}
