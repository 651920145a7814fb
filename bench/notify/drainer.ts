/**
 * One notifier process for the crash part of bench/notify/run.ts: started with
 * a config (JSON in argv[2]) and SIGKILLed by the runner at random moments.
 */
import { Agent } from 'node:https'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import { resolve } from 'node:path'
import { createAlerts } from '../../alerts/index.js'
import { createNotifier } from '../../notify/index.js'
import { openAlertOutbox } from '../../notify/outbox.js'

const config = loadConfig({ overrides: JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown> })
// the push peer's certificate is a throwaway one
// the notifier reads firing alerts for escalation from the process's one alerts service
const alerts = createAlerts({ file: resolve(config.dataDir, config.store.file), outbox: openAlertOutbox(resolve(config.dataDir, config.store.file)), logger: silentLogger() })
const notifier = createNotifier({ config, logger: silentLogger(), alerts, pushAgent: new Agent({ rejectUnauthorized: false }) })
await notifier.start()
// the notifier's timers are unref'd (a service process is held open by its servers); this one has none
setInterval(() => {}, 60_000)
process.send?.('ready')
