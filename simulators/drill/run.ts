import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import { cameraOptionsFrom, createSimulatedCamera, type SimulatedCamera } from '../camera-device.js'
import type { FleetCredentials } from '../fleet.js'
import { createSimulatedGauge, type SimulatedGauge } from '../gauge-device.js'
import type { DrillPlan, InjectedEvent } from './scenario.js'

export interface InjectedAt extends InjectedEvent {
  /** wall time the drill injected it (ms) */
  wallAt: number
  /** data time the devices gave it (ms) */
  dataAt: number
}

export interface DrillRun {
  /** wall time the drill started / ended */
  startedAt: number
  endedAt: number
  /** data time of scenario time 0 */
  dataStart: number
  injected: InjectedAt[]
  frames: number
  bursts: number
  /** frames or bursts the platform did not take (link down, refused) */
  failures: string[]
}

export interface DrillRunOptions {
  plan: DrillPlan
  config: Config
  mqttUrl: string
  logger: Logger
  credentials?: FleetCredentials | undefined
  /** scenario time per wall time; default the scenario's */
  speed?: number
  onEvent?: (e: InjectedAt) => void
  onFrame?: (p: { scenarioMs: number, durationMs: number, frames: number, bursts: number }) => void
  signal?: AbortSignal
}

const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  if (ms <= 0 || signal?.aborted === true) return
  await new Promise<void>(resolve => {
    const t = setTimeout(done, ms)
    function done (): void { clearTimeout(t); signal?.removeEventListener('abort', done); resolve() }
    signal?.addEventListener('abort', done)
  })
}

/**
 * Plays a drill through the devices' own code: each drill station is a
 * simulated gauge (edge sampling, codec, its MQTT identity and will), each drill
 * camera a simulated camera (its JPEG pipeline, envelope, spool). The platform
 * sees ordinary device traffic from drill devices, so every alert it raises is a
 * drill by the configuration (stations[].drill / cameras[].drill).
 *
 * Time: at speed 1 data time is wall time. Faster, the scenario is laid out so
 * its end lands at the moment the drill ends (data times in the recent past, never
 * the future a gauge frame may not carry), and rates of rise stay as written.
 */
export async function runDrill (o: DrillRunOptions): Promise<DrillRun> {
  const { plan } = o
  const speed = o.speed ?? plan.scenario.speed
  const startedAt = Date.now()
  const D = plan.durationMs
  const dataStart = Math.round(startedAt - D * (1 - 1 / speed))
  const dataAt = (s: number): number => dataStart + s
  const log = o.logger.child({ component: 'drill' })
  const gauges: Array<{ g: SimulatedGauge, id: string }> = plan.stations.map(({ station, level }) => ({
    id: station.id,
    g: createSimulatedGauge({ station, scenario: t => level(t - dataStart), mqttUrl: o.mqttUrl, logger: log, ...o.credentials?.('gauge', station.deviceId) })
  }))
  const cameras = new Map<string, SimulatedCamera>(plan.cameras.map(({ camera }) => [camera.id, createSimulatedCamera({
    camera,
    mqttUrl: o.mqttUrl,
    logger: log,
    ...cameraOptionsFrom(o.config),
    ...o.credentials?.('camera', camera.id)
  })]))
  // one timeline in scenario time: gauge frames every reportEvery (and one at the end), bursts, event starts
  type Step = { at: number, kind: 'frame' } | { at: number, kind: 'burst', cameraId: string, frames: number, images: string[] | undefined, eventId: string } | { at: number, kind: 'event', event: InjectedEvent }
  const steps: Step[] = []
  if (gauges.length > 0) {
    for (let s = 0; s < D; s += plan.reportEveryMs) steps.push({ at: s, kind: 'frame' })
    steps.push({ at: D, kind: 'frame' })
  }
  for (const c of plan.cameras) for (const b of c.bursts) steps.push({ at: b.atMs, kind: 'burst', cameraId: c.camera.id, frames: b.frames, images: b.images, eventId: b.eventId })
  for (const e of plan.events) steps.push({ at: e.atMs, kind: 'event', event: e })
  // at the same moment: the event is logged first, then the devices act on it
  const order = { event: 0, burst: 1, frame: 2 }
  steps.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind])

  const run: DrillRun = { startedAt, endedAt: startedAt, dataStart, injected: [], frames: 0, bursts: 0, failures: [] }
  try {
    await Promise.all([...gauges.map(async ({ g }) => { await g.connect() }), ...[...cameras.values()].map(async c => { await c.connect() })])
    const aborted = (): boolean => o.signal?.aborted === true
    for (const step of steps) {
      if (aborted()) break
      await sleep(startedAt + step.at / speed - Date.now(), o.signal)
      if (aborted()) break
      if (step.kind === 'event') {
        const e: InjectedAt = { ...step.event, wallAt: Date.now(), dataAt: dataAt(step.at) }
        run.injected.push(e)
        log.info({ event: e.id, subject: e.subjectId, description: e.description }, '訓練 event injected')
        o.onEvent?.(e)
      } else if (step.kind === 'frame') {
        await Promise.all(gauges.map(async ({ g, id }) => {
          try {
            await g.report(dataAt(step.at))
            run.frames++
          } catch (err) {
            run.failures.push(`${id} frame at +${Math.round(step.at / 60_000)} min: ${(err as Error).message}`)
          }
        }))
      } else {
        const c = cameras.get(step.cameraId)!
        try {
          if (step.images === undefined) await c.burst(step.frames, dataAt(step.at))
          else await c.burstOf(Array.from({ length: step.frames }, (_, k) => step.images![k % step.images!.length]!), dataAt(step.at))
          run.bursts++
        } catch (err) {
          run.failures.push(`${step.cameraId} burst at +${Math.round(step.at / 60_000)} min: ${(err as Error).message}`)
        }
      }
      o.onFrame?.({ scenarioMs: step.at, durationMs: D, frames: run.frames, bursts: run.bursts })
    }
  } finally {
    await Promise.all([...gauges.map(async ({ g }) => { await g.close() }), ...[...cameras.values()].map(async c => { await c.close() })])
    run.endedAt = Date.now()
  }
  return run
}
