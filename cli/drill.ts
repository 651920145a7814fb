import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import type { Alert } from '../core/types.js'
import { openAlertRepository, type AlertRepository } from '../alerts/repository.js'
import { buildDrillReport, DRILL_MARK, formatDrillReport, type DrillReport } from '../simulators/drill/report.js'
import { runDrill, type DrillRun, type DrillRunOptions } from '../simulators/drill/run.js'
import { durationMs, loadScenario, planDrill, type DrillPlan } from '../simulators/drill/scenario.js'
import { localBrokerUrl, resolveConfig } from './config-source.js'
import { defaultSimCredentialsFile, fleetCredentials, readSimCredentials } from './sim-credentials.js'

export const DRILL_USAGE = `mimamori drill — デジタル避難訓練: a scenario played through drill devices

Usage:
  mimamori drill validate scenario.yaml [--config file.json]
  mimamori drill run scenario.yaml [--speed N] [--wait-acks 30m] [--report PREFIX] [--json]
      [--mqtt-url URL] [--credentials sim-credentials.json] [--config file.json]

  The scenario (YAML or JSON, docs/simulators.md) names drill stations (stations[].drill: true)
  and drill cameras (cameras[].drill: true) of the running platform's configuration; the
  drill sends their frames and bursts through the devices' own code, so every alert is a
  ${DRILL_MARK} drill. After the last event it waits (--wait-acks, default the scenario's
  waitForAcks or 0) until staff acknowledged every drill alert, then reports who
  acknowledged what and when, and the time from each injected event to each acknowledgement.
  --speed      scenario time per wall time (default the scenario's speed, 1 = real time)
  --report     also write PREFIX.json
  Credentials: a broker with anonymous access off needs the drill devices' secrets
  (mimamori sim --provision, or mimamori device add) in --credentials or dataDir/sim-credentials.json.`

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** the drill's alerts: every alert on its devices since it began (a non-drill one would show as a failure) */
export function drillAlerts (repo: AlertRepository, plan: DrillPlan, run: Pick<DrillRun, 'dataStart'>): Alert[] {
  const subjects = new Set([...plan.stations.map(s => s.station.id), ...plan.cameras.map(c => c.camera.id)])
  const out: Alert[] = []
  for (const id of subjects) {
    for (const a of repo.list({ subjectId: id, limit: 10_000 })) {
      if (a.createdAt >= run.dataStart - 60_000 || a.lastSeenAt >= run.dataStart) out.push(a)
    }
  }
  return out.sort((a, b) => (a.firedAt ?? a.observedAt) - (b.firedAt ?? b.observedAt))
}

const answered = (repo: AlertRepository, a: Alert): boolean =>
  repo.history(a.id).some(t => t.to === 'acknowledged' || (t.to === 'resolved' && t.by !== null && t.by !== 'system'))

export interface DrillSessionOptions extends Pick<DrillRunOptions, 'plan' | 'config' | 'mqttUrl' | 'logger' | 'credentials' | 'speed'> {
  /** wall time to wait after the last event for every drill alert to be acknowledged */
  waitForAcksMs?: number
  onProgress?: (line: string) => void
  signal?: AbortSignal
}

/** run → wait for acknowledgements → report; the drill's alerts are read from the platform's database (dataDir) */
export async function runDrillSession (o: DrillSessionOptions): Promise<DrillReport> {
  const run = await runDrill({
    plan: o.plan,
    config: o.config,
    mqttUrl: o.mqttUrl,
    logger: o.logger,
    credentials: o.credentials,
    ...(o.speed === undefined ? {} : { speed: o.speed }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    onEvent: e => { o.onProgress?.(`${DRILL_MARK} ${e.id} ${e.subjectName}: ${e.description}`) }
  })
  const repo = openAlertRepository(resolve(o.config.dataDir, o.config.store.file), null)
  try {
    const wait = o.waitForAcksMs ?? (o.plan.scenario.waitForAcks === undefined ? 0 : durationMs(o.plan.scenario.waitForAcks))
    const deadline = Date.now() + wait
    // the last frames are still on their way through ingest and the rules
    await sleep(Math.min(wait, 1000))
    let last = ''
    while (Date.now() < deadline && o.signal?.aborted !== true) {
      const alerts = drillAlerts(repo, o.plan, run)
      const open = alerts.filter(a => !answered(repo, a))
      const line = `waiting for acknowledgements: ${alerts.length - open.length}/${alerts.length} (${Math.ceil((deadline - Date.now()) / 1000)} s left; Ctrl-C ends the drill now)`
      if (line !== last) o.onProgress?.(line)
      last = line
      if (alerts.length > 0 && open.length === 0) break
      await sleep(1000)
    }
    const alerts = drillAlerts(repo, o.plan, run)
    return buildDrillReport(o.plan, run, alerts, id => repo.history(id), o.speed ?? o.plan.scenario.speed)
  } finally {
    repo.close()
  }
}

/** `mimamori drill …`; resolves to the exit code */
export async function drillCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      speed: { type: 'string' },
      'wait-acks': { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean', default: false },
      'mqtt-url': { type: 'string' },
      credentials: { type: 'string' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const [sub, file] = positionals
  if (values.help === true || sub === undefined) { process.stdout.write(DRILL_USAGE + '\n'); return sub === undefined && values.help !== true ? 2 : 0 }
  if (sub !== 'run' && sub !== 'validate') { process.stderr.write(`unknown drill command "${sub}"\n\n${DRILL_USAGE}\n`); return 2 }
  if (file === undefined) { process.stderr.write(`a scenario file is required\n\n${DRILL_USAGE}\n`); return 2 }
  const { config } = resolveConfig(values.config, process.env)
  const plan = planDrill(loadScenario(file), config)
  if (sub === 'validate') {
    process.stdout.write([
      `${DRILL_MARK} ${plan.scenario.name}: valid — ${plan.stations.length} stations, ${plan.cameras.length} cameras, ${plan.events.length} events over ${Math.round(plan.durationMs / 60_000)} min of scenario time (speed ${plan.scenario.speed}×, public channels ${plan.scenario.publicChannels ? 'allowed' : 'off'})`,
      ...plan.events.map(e => `  +${Math.round(e.atMs / 60_000)} min  ${e.subjectName}: ${e.description}`),
      ''
    ].join('\n'))
    return 0
  }
  const speed = values.speed === undefined ? undefined : Number(values.speed)
  if (speed !== undefined && !(Number.isFinite(speed) && speed > 0)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--speed must be a number > 0 (got "${values.speed}")`)
  const credFile = values.credentials === undefined ? defaultSimCredentialsFile(config) : resolve(values.credentials)
  const credentials = values.credentials !== undefined || existsSync(credFile) ? fleetCredentials(readSimCredentials(credFile)) : undefined
  const stop = new AbortController()
  const onSignal = (): void => { stop.abort() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let report: DrillReport
  try {
    report = await runDrillSession({
      plan,
      config,
      mqttUrl: values['mqtt-url'] ?? (config.sim.mqttUrl === '' ? localBrokerUrl(config) : config.sim.mqttUrl),
      logger: silentLogger(),
      credentials,
      ...(speed === undefined ? {} : { speed }),
      ...(values['wait-acks'] === undefined ? {} : { waitForAcksMs: durationMs(values['wait-acks']) }),
      onProgress: line => { if (!values.json) process.stderr.write(line + '\n') },
      signal: stop.signal
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  if (values.report !== undefined) {
    const out = resolve(`${values.report}.json`)
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  }
  process.stdout.write(values.json ? JSON.stringify(report) + '\n' : formatDrillReport(report))
  return report.summary.allDrill ? 0 : 1
}
