import { resolve } from 'node:path'
import { componentOf, need, type Component } from './compose.js'
import type { ProcessParts } from './process-parts.js'

// The parts every process kind shares, built once per process and handed to the services that
// need them (ingest, dashboard), which never build their own: one alerts service per process,
// and the notifier on top of it (listed after it, so it closes first).

type Part = Component<ProcessParts>

export function alertsComponent (): Part {
  return componentOf('alerts', async (c: ProcessParts) => {
    const [{ createAlerts }, { openAlertOutbox }] = await Promise.all([import('../alerts/index.js'), import('../notify/outbox.js')])
    const file = resolve(c.config.dataDir, c.config.store.file)
    // every transition is handed to notify's outbox inside its transaction (one shared handle of the file)
    return (c.alerts = createAlerts({ file, outbox: openAlertOutbox(file), logger: c.logger, bus: c.bus, ...(c.clock === undefined ? {} : { clock: c.clock }) }))
  })
}

/**
 * The notifier. `sends`: this process drains the notifications (the one that owns alerts, when
 * notify.enabled; in a cluster every worker may: deliveries are claimed with a lease). `serves`:
 * it serves the dashboard, which needs the notifier's rows (status, subscriptions, advisories) even
 * when it does not send. A process that does neither has none.
 */
export function notifierComponent ({ sends, serves }: { sends: boolean, serves: boolean }): Part {
  let drain = false
  return componentOf('notifier', async (c: ProcessParts) => {
    drain = sends && c.config.notify.enabled
    if (!drain && !serves) return undefined
    const { createNotifier } = await import('../notify/index.js')
    // a notifier that does not drain only reads and writes rows: no timers, no channels
    return (c.notifier = createNotifier({ config: c.config, logger: c.logger, bus: c.bus, store: need(c.store, 'the store', 'the notifier'), alerts: need(c.alerts, 'alerts', 'the notifier'), drain, ...(c.clock === undefined ? {} : { clock: c.clock }) }))
  }, async notifier => { if (drain) await notifier.start() })
}
