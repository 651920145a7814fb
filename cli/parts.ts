import { resolve } from 'node:path'
import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { createAlerts, type Alerts } from '../alerts/index.js'
import { createNotifier, type Notifier } from '../notify/index.js'
import { openAlertOutbox } from '../notify/outbox.js'
import type { Store } from '../store/store.js'

/**
 * The parts every process kind shares, built here and handed to the services
 * that need them (ingest, dashboard), which never build their own: one alerts
 * service per process, and the notifier on top of it. Start in this order,
 * close in the reverse one.
 */
export interface SharedParts {
  readonly alerts: Alerts
  /** undefined when this process neither sends (notify.enabled false) nor serves the dashboard */
  readonly notifier: Notifier | undefined
  close(): Promise<void>
}

export interface SharedPartsOptions {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  clock?: (() => number) | undefined
  /** this process sends notifications (the one that owns alerts, when notify.enabled) */
  sends: boolean
  /** this process serves the dashboard: it needs the notifier's rows (status, subscriptions, advisories) even when it does not send */
  serves: boolean
}

export async function openSharedParts ({ config, logger, bus, store, clock, sends, serves }: SharedPartsOptions): Promise<SharedParts> {
  const file = resolve(config.dataDir, config.store.file)
  // alerts hand every transition to notify's outbox inside its transaction (same shared handle of the file)
  const alerts = createAlerts({ file, outbox: openAlertOutbox(file), logger, bus, ...(clock === undefined ? {} : { clock }) })
  const drain = sends && config.notify.enabled
  // a process that does not send only reads and writes rows: no timers, no channels draining
  const notifier = drain || serves ? createNotifier({ config, logger, bus, store, alerts, drain, ...(clock === undefined ? {} : { clock }) }) : undefined
  try {
    if (drain) await notifier?.start()
  } catch (err) {
    await notifier?.close()
    await alerts.close()
    throw err
  }
  return {
    alerts,
    notifier,
    async close () {
      await notifier?.close()
      await alerts.close()
    }
  }
}
