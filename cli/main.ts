#!/usr/bin/env node
import { parseArgs } from 'node:util'
import type { Config } from '../core/config/schema.js'
import { isMimamoriError } from '../core/errors.js'
import { createLogger, type Logger } from '../core/logger.js'
import { resolveConfig } from './config-source.js'
import type { ProcessKind } from './compose.js'
import type { ProcessParts } from './process-parts.js'

// Each command imports what it runs when it runs (below), so `mimamori broker` does not load
// fastify, sharp, onnxruntime, the ingest or the simulators (idle RSS; bench/README.md).

const USAGE = `mimamori — river gauges and wildlife cameras for municipalities

Usage: mimamori <command> [--config file.json]

Commands:
  start       everything in one process: broker, ingest, dashboard, demo fleet
  broker      the MQTT broker only
  ingest      the ingest service only (subscribes to the broker)
  dashboard   the web dashboard/API only (follows ingest's events over MQTT)
  sim         the simulated device fleet only (--provision registers its devices and
              writes dataDir/sim-credentials.json for a broker with anonymous off;
              --credentials FILE uses another file); --profile <stationId> [--dr 2] prints
              the gauge's airtime and battery-life estimate for a calm year;
              sim replay --file <csv> --station <id> [--speed 600] replays a recorded
              hydrograph through the running platform (mimamori sim replay --help);
              sim --gauges N --cameras M [--seed 1] a seeded fleet of N+M devices, each
              its own MQTT client (mimamori sim --gauges 1 --help)
  record      capture live device traffic to NDJSON (mimamori record --help)
  evaluate    精度評価: our gauge vs a reference series (bias, RMSE, lag, threshold crossings,
              missing share) → JSON + SVG (mimamori evaluate --help)
  export      readings, detections, sightings or alerts → CSV/Parquet with a progress bar
              (mimamori export --help)
  replay      --mqtt FILE [--speed N|max] sends recorded traffic again (mimamori replay --mqtt x --help)
  drill       run | validate scenario.yaml: a 訓練 drill through drill devices (mimamori drill --help)
  fleet       the fleet registry as YAML/JSON: export | import FILE [--dry-run] (mimamori fleet --help)
  device      MQTT identities: add | list | rotate | revoke (mimamori device --help);
              device downlink --station <id> --mode observe [--observe-interval 5] sends
              a gauge its run-time settings (mimamori device downlink --help)
  user        dashboard accounts: add | list | passwd | disable | enable | unlock (mimamori user --help);
              the first admin: mimamori user add NAME --role admin
  token       API tokens for scripts and Grafana: create | list | revoke (mimamori token --help)

Configuration: JSON file (--config, $MIMAMORI_CONFIG, ./mimamori.config.json,
or the bundled demo) with MIMAMORI_* environment overrides, e.g.
MIMAMORI_DASHBOARD__PORT=3001. See README.md.`

/** A stopper per running command; Ctrl-C calls it once, a second Ctrl-C exits at once. */
type Stop = () => Promise<void>

async function main (): Promise<void> {
  // `device` has its own flags (--kind, --id …), so it is routed before the common parser.
  if (process.argv[2] === 'sim' && process.argv[3] === 'replay') {
    const { simReplayCommand } = await import('./replay.js')
    process.exitCode = await simReplayCommand(process.argv.slice(4))
    return
  }
  if (process.argv[2] === 'sim' && process.argv.slice(3).some(a => a === '--profile' || a.startsWith('--profile='))) {
    const { simProfileCommand } = await import('./sim-profile.js')
    process.exitCode = simProfileCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'record') {
    const { recordCommand } = await import('./record.js')
    process.exitCode = await recordCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'replay') {
    // --mqtt FILE: recorded traffic; otherwise a CSV hydrograph (= sim replay)
    const args = process.argv.slice(3)
    if (args.some(a => a === '--mqtt' || a.startsWith('--mqtt='))) {
      const { mqttReplayCommand } = await import('./record.js')
      process.exitCode = await mqttReplayCommand(args)
    } else {
      const { simReplayCommand } = await import('./replay.js')
      process.exitCode = await simReplayCommand(args)
    }
    return
  }
  if (process.argv[2] === 'sim' && process.argv.slice(3).some(a => /^--(gauges|cameras)(=|$)/.test(a))) {
    const { simScaleCommand } = await import('./sim-scale.js')
    process.exitCode = await simScaleCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'evaluate') {
    const { evaluateCommand } = await import('./evaluate.js')
    process.exitCode = await evaluateCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'export') {
    const { exportCommand } = await import('./export.js')
    process.exitCode = await exportCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'drill') {
    const { drillCommand } = await import('./drill.js')
    process.exitCode = await drillCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'fleet') {
    const { fleetCommand } = await import('./fleet.js')
    process.exitCode = await fleetCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'device') {
    const { deviceCommand } = await import('./device.js')
    process.exitCode = await deviceCommand(process.argv.slice(3))
    return
  }
  if (process.argv[2] === 'user' || process.argv[2] === 'token') {
    const { userCommand, tokenCommand } = await import('./user.js')
    process.exitCode = await (process.argv[2] === 'user' ? userCommand : tokenCommand)(process.argv.slice(3))
    return
  }
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, provision: { type: 'boolean' }, credentials: { type: 'string' } }
  })
  const command = positionals[0]
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(USAGE + '\n')
    return
  }
  const runners: Record<string, (config: Config, logger: Logger) => Promise<Stop>> = { start, broker, ingest, dashboard, sim }
  const runner = runners[command]
  if (runner === undefined) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`)
    process.exitCode = 2
    return
  }
  const { config, source } = resolveConfig(values.config, process.env)
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty || process.stdout.isTTY })
  logger.info({ config: source }, `mimamori ${command}`)
  const stop = await runner(config, logger)
  let stopping = false
  const onSignal = (signal: string): void => {
    if (stopping) {
      logger.warn('second signal: exiting without waiting')
      process.exit(130)
    }
    stopping = true
    logger.info({ signal }, 'shutting down')
    // exitCode 1 when a part asked for this shutdown because it failed (cli/components.ts exitAfterShutdown)
    stop().then(() => { process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0) }, (err: unknown) => {
      logger.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

async function start (config: Config, logger: Logger): Promise<Stop> {
  const { createApp } = await import('./app.js')
  const app = createApp({ config, logger })
  const info = await app.start()
  const { startBanner } = await import('./banner.js')
  process.stdout.write(startBanner(config, info))
  return app.close
}

/** runs one process kind of cli/kinds.ts on a fresh bus; the stopper closes its list in reverse */
async function runProcess (config: Config, logger: Logger, kind: (kinds: typeof import('./kinds.js')) => ProcessKind<ProcessParts>): Promise<{ parts: ProcessParts, stop: Stop }> {
  const [kinds, { createEventBus }, { startAll }] = await Promise.all([import('./kinds.js'), import('../core/bus.js'), import('./compose.js')])
  const parts: ProcessParts = { config, logger, bus: createEventBus() }
  const running = await startAll(kind(kinds), parts, logger)
  return { parts, stop: running.close }
}

async function broker (config: Config, logger: Logger): Promise<Stop> {
  return (await runProcess(config, logger, k => k.brokerKind())).stop
}

/** a separate ingest, or in cluster mode one worker of the Redis Streams consumer group the brokers feed (docs/broker.md) */
async function ingest (config: Config, logger: Logger): Promise<Stop> {
  const cluster = config.broker.cluster.redisUrl !== ''
  return (await runProcess(config, logger, k => cluster ? k.clusterWorkerKind(config) : k.ingestKind(config))).stop
}

async function dashboard (config: Config, logger: Logger): Promise<Stop> {
  const { parts, stop } = await runProcess(config, logger, k => k.dashboardKind(config))
  const web = parts.web!
  const { plainHttpWarning } = await import('./banner.js')
  process.stdout.write([
    `dashboard: ${web.url}`,
    ...(web.demoLink === undefined ? [] : [`demo sign-in link (one use, a browser on this machine only): ${web.demoLink}`]),
    ...(web.hasAdmin ? [] : ['first admin: mimamori user add NAME --role admin']),
    ...plainHttpWarning(config, { dashboardNetworkBind: web.networkBind, dashboardSecure: web.secure })
  ].join('\n') + '\n')
  return stop
}

async function sim (config: Config, logger: Logger): Promise<Stop> {
  const { simCredentials } = await import('./sim-credentials.js')
  // --provision / --credentials FILE: device credentials for a broker with anonymous off (cli/sim-credentials.ts)
  const credentials = await simCredentials(config, logger, process.argv.slice(3))
  return (await runProcess(config, logger, k => k.simKind({ credentials }))).stop
}

main().catch((err: unknown) => {
  // Config and port problems are the user's to fix: say what, not a stack trace.
  if (isMimamoriError(err)) process.stderr.write(`mimamori: ${err.code}: ${err.message}\n`)
  else process.stderr.write(`mimamori: unexpected failure: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
