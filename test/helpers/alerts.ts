import { resolve } from 'node:path'
import { createAlerts, type Alerts } from '../../alerts/index.js'
import { openAlertOutbox } from '../../notify/outbox.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'

/** The one alerts service a test's process would have: services receive it (cli/ builds it), never create their own. */
export function openTestAlerts (config: Config, logger: Logger): Alerts {
  const file = resolve(config.dataDir, config.store.file)
  return createAlerts({ file, outbox: openAlertOutbox(file), logger })
}
