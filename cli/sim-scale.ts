import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import { createLogger } from '../core/logger.js'
import { cameraOptionsFrom, createSimulatedCamera, type SimulatedCamera } from '../simulators/camera-device.js'
import { createSimulatedGauge, type SimulatedGauge } from '../simulators/gauge-device.js'
import { syntheticFleet } from '../simulators/synthetic.js'
import { parseDuration } from './record.js'
import { localBrokerUrl, resolveConfig } from './config-source.js'
import { simCredentials } from './sim-credentials.js'

export const SIM_SCALE_USAGE = `mimamori sim --gauges N [--cameras M] — a prefecture of simulated devices

Usage:
  mimamori sim --gauges N [--cameras M] [--seed 1] [--interval 10m] [--data-step 10m] [--connect-rate 500]
      [--mqtt-url URL[,URL2…]] [--provision | --credentials FILE] [--stats-every 10s] [--config file.json]
  mimamori sim --gauges N [--cameras M] [--seed 1] --print-config > fleet.json

  Every gauge and camera is its own MQTT client (client id = device id) with its own
  credentials (--provision registers them all and writes dataDir/sim-credentials.json;
  anonymous on the demo broker). Ids, places and thresholds come from --seed, so the
  platform must know the same fleet: --print-config writes its stations and cameras
  (merge them into the platform's configuration). Gauges report every --interval
  (10 min, 観測 mode), spread evenly; frames that cannot go out wait in the client and
  go when the broker is back. --data-step 10m with --interval 5s sends a 10-minute record 120×
  faster than real time (data times from 40 days back: the bench's backlog). A stats line goes to stderr every --stats-every; at exit one
  JSON line: {"gauges","connected","sent","acked","failed"}; --acked-out FILE writes the frames
  acknowledged per device (what the platform must have stored).`

export async function simScaleCommand (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      gauges: { type: 'string', default: '0' },
      cameras: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      interval: { type: 'string', default: '10m' },
      'data-step': { type: 'string' },
      'connect-rate': { type: 'string', default: '500' },
      'stats-every': { type: 'string', default: '10s' },
      'print-config': { type: 'boolean', default: false },
      'acked-out': { type: 'string' },
      'mqtt-url': { type: 'string' },
      provision: { type: 'boolean' },
      credentials: { type: 'string' },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) { process.stdout.write(SIM_SCALE_USAGE + '\n'); return 0 }
  const count = (v: string, name: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${name} must be a whole number ≥ 0 (got "${v}")`)
    return n
  }
  const fleet = syntheticFleet({ gauges: count(values.gauges, 'gauges'), cameras: count(values.cameras, 'cameras'), seed: count(values.seed, 'seed') })
  if (values['print-config']) { process.stdout.write(JSON.stringify(fleet, null, 2) + '\n'); return 0 }
  const { config: base } = resolveConfig(values.config, process.env)
  const config: Config = { ...base, stations: fleet.stations, cameras: fleet.cameras }
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty })
  const intervalMs = parseDuration(values.interval, 'interval')
  // --data-step: frames carry data times this far apart, sent every --interval of wall time (a backlog
  // or a faster-than-real-time load without same-minute duplicates); they start 40 days back, inside
  // the 45 days a frame's minute tag reaches, and may not overtake the wall clock
  const dataStepMs = values['data-step'] === undefined ? undefined : parseDuration(values['data-step'], 'data-step')
  const dataStart = Math.floor((Date.now() - 40 * 86_400_000) / 60_000) * 60_000
  const rate = Math.max(1, count(values['connect-rate'], 'connect-rate'))
  // several brokers of a cluster (a,b): device i connects to broker i mod k, as a load balancer would spread them
  const urls = (values['mqtt-url'] ?? (config.sim.mqttUrl === '' ? localBrokerUrl(config) : config.sim.mqttUrl)).split(',').map(u => u.trim()).filter(u => u !== '')
  const urlOf = (i: number): string => urls[i % urls.length]!
  const credentials = await simCredentials(config, logger, [...(values.provision === true ? ['--provision'] : []), ...(values.credentials === undefined ? [] : ['--credentials', values.credentials])])
  const log = logger.child({ component: 'sim' })
  const startMs = Date.now()
  const gauges: SimulatedGauge[] = fleet.stations.map((station, i) => {
    const calm = (station.thresholds.observationStart ?? station.thresholds.standby) * 0.6
    return createSimulatedGauge({ station, scenario: t => calm + 0.05 * Math.sin((t - startMs) / 3_600_000 + i), mqttUrl: urlOf(i), logger: log, publishTimeoutMs: 24 * 3_600_000, ...credentials?.('gauge', station.deviceId) })
  })
  const cameras: SimulatedCamera[] = fleet.cameras.map((camera, i) => createSimulatedCamera({ camera, mqttUrl: urlOf(i), logger: log, ...cameraOptionsFrom(config), spoolDir: join(config.dataDir, 'spool', camera.id), ...credentials?.('camera', camera.id) }))
  /** frames the broker acknowledged (PUBACK), per device: the platform must have stored each of them */
  const ackedBy = new Map<string, number>()
  const stats = { gauges: gauges.length, cameras: cameras.length, connected: 0, sent: 0, acked: 0, failed: 0 }
  const timers: NodeJS.Timeout[] = []
  let stopping = false
  const stopped = new Promise<void>(resolve => {
    const stop = (): void => { stopping = true; resolve() }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  const statsLine = (): void => {
    stats.connected = gauges.filter(g => g.connected).length + cameras.filter(c => c.connected).length
    process.stderr.write(`sim: ${stats.connected}/${stats.gauges + stats.cameras} connected, ${stats.sent} frames sent, ${stats.acked} acked, ${stats.failed} failed, rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB\n`)
  }
  timers.push(setInterval(statsLine, parseDuration(values['stats-every'], 'stats-every')))
  // connections at --connect-rate per second: a prefecture's gateways do not all join in one instant.
  // A device whose connection (CONNACK, subscription, online status) is not through in 30 s counts as
  // failed (its MQTT client keeps retrying on its own).
  const all = [...gauges, ...cameras]
  const connectStarted = Date.now()
  const pending: Array<SimulatedGauge | SimulatedCamera> = []
  for (let i = 0; i < all.length && !stopping; i += rate) {
    const t0 = Date.now()
    await Promise.all(all.slice(i, i + rate).map(async d => {
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([d.connect(), new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('not connected within 30 s')) }, 30_000) })])
      } catch (err) {
        pending.push(d)
        log.warn({ device: d.deviceId, err: (err as Error).message }, 'device could not connect')
      } finally {
        clearTimeout(timer)
      }
    }))
    const wait = 1000 - (Date.now() - t0)
    if (wait > 0 && i + rate < all.length) await new Promise(resolve => setTimeout(resolve, wait))
  }
  stats.failed += pending.length
  process.stderr.write(`sim: connect phase done: ${all.length - pending.length}/${all.length} connected in ${((Date.now() - connectStarted) / 1000).toFixed(1)} s\n`)
  statsLine()
  gauges.forEach((g, i) => {
    let k = 0
    const report = (): void => {
      if (stopping) return
      const time = dataStepMs === undefined ? Date.now() : dataStart + k++ * dataStepMs
      if (time > Date.now()) return
      stats.sent++
      g.report(time).then(() => { stats.acked++; ackedBy.set(g.deviceId, (ackedBy.get(g.deviceId) ?? 0) + 1) }, () => { stats.failed++ })
    }
    timers.push(setTimeout(() => { report(); timers.push(setInterval(report, intervalMs)) }, Math.round(i / gauges.length * intervalMs)))
  })
  for (const c of cameras) {
    timers.push(setInterval(() => { if (!stopping) c.advance(Date.now()).catch(() => { stats.failed++ }) }, 5000))
  }
  await stopped
  for (const t of timers) clearTimeout(t)
  statsLine()
  // a device's goodbye (retained offline status, QoS 1) waits for a broker that may be gone: bounded
  let closed = false
  await Promise.race([Promise.all(all.map(async d => { await d.close().catch(() => undefined) })).then(() => { closed = true }), new Promise(resolve => setTimeout(resolve, 10_000).unref())])
  process.stdout.write(JSON.stringify(stats) + '\n')
  if (values['acked-out'] !== undefined) writeFileSync(values['acked-out'], JSON.stringify(Object.fromEntries(ackedBy)) + '\n')
  // clients still retrying an absent broker would keep the process alive
  if (!closed) setTimeout(() => { process.exit(0) }, 100).unref()
  return 0
}
