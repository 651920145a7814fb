import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { MqttClient } from '../core/mqtt.js'
import type { DeviceAccounts } from '../core/fleet/types.js'
import type { Store } from '../store/store.js'
import type { Alerts } from '../alerts/index.js'
import type { Notifier } from '../notify/index.js'
import type { Official } from '../official/index.js'
import type { Broker, BrokerPorts } from '../broker/index.js'
import type { DeviceRegistry } from '../broker/registry.js'
import type { Ingest } from '../ingest/index.js'
import type { Dashboard, DashboardInfo } from '../dashboard/server/index.js'
import type { Fleet } from '../simulators/fleet.js'
import type { TrailCameraIntake } from '../fleet/index.js'

export type Publish = (topic: string, payload: Buffer) => Promise<void>

/**
 * What the components of one process hand each other (cli/compose.ts): the settings every
 * component reads, and a slot per part, filled by the component that builds it. A component
 * reads only slots of components earlier in its list (compose.ts `need`).
 */
export interface ProcessParts {
  readonly config: Config
  readonly logger: Logger
  readonly bus: EventBus
  readonly clock?: (() => number) | undefined
  store?: Store
  alerts?: Alerts
  /** the notifier that sends (notify.enabled) or, in a process serving the dashboard, only reads and writes rows */
  notifier?: Notifier
  official?: Official
  broker?: Broker
  ports?: BrokerPorts
  ingest?: Ingest
  devices?: { accounts: DeviceAccounts, registry: DeviceRegistry }
  /** the process's MQTT link for bus events (a separate ingest publishes them, a separate dashboard follows them) */
  events?: MqttClient
  /** operator downlinks (dashboard route); a dashboard-role MQTT connection */
  sendDownlink?: Publish
  /** network-server webhook uplinks into the broker (dashboard route) */
  forwardUplink?: Publish
  dashboard?: Dashboard
  web?: DashboardInfo
  fleet?: Fleet
  intake?: TrailCameraIntake
  intakeInfo?: { smtpPort: number | null, httpUrl: string | null }
}
