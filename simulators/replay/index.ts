import type { Logger } from '../../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../../core/mqtt.js'
import { createRng, seedFrom } from '../../core/random.js'
import { deviceTopic } from '../../core/topics.js'
import type { Station } from '../../core/types.js'
import { encodeUplink, type GaugeMode, type GaugeUplinkInput } from '../../codecs/gauge-v1.js'
import { measure } from '../../edge/gauge/measure.js'
import { createReportingPolicy, type ReportingSettings, type ReportReason } from '../../edge/gauge/reporting.js'
import type { RecordedPoint } from './csv.js'
import { interpolated } from './hydrograph.js'

export { readLevelCsv, type RecordedPoint } from './csv.js'
export { interpolated, upwardCrossings } from './hydrograph.js'

/** The data-time clock a replay drives; ingest and rules read it instead of the wall clock. */
export interface ReplayClock {
  now(): number
  set(time: number): void
}

export function createReplayClock (start: number): ReplayClock {
  let t = start
  return { now: () => t, set: time => { t = time } }
}

export interface ReplayOptions {
  station: Station
  points: readonly RecordedPoint[]
  mqttUrl: string
  logger: Logger
  /** the data-time clock of an in-process pipeline (tests); a live platform reads its own wall clock */
  clock?: ReplayClock
  /**
   * Resample the record for a demo: the true level is interpolated between recorded
   * points and measured every `intervalMs` by the gauge model (noise, 1 cm), gaps
   * bridged. Off (default): each recorded row is sent once, at its own time, with its
   * own value (and battery); missing rows are not sent, so gaps stay gaps.
   * `adaptive` always resamples (the policy needs a measurement every minute).
   */
  resample?: boolean
  /** resample: reporting interval in data time (観測 mode: 10 min); with `adaptive`, the 観測 interval */
  intervalMs?: number
  /** first / last report time (original data time); default the record's span */
  from?: number
  to?: number
  mode?: GaugeMode
  batteryV?: number
  /**
   * Added to every data time before it goes into a frame (and to the clock,
   * `settle` and progress): `mimamori sim replay` shifts a 2024 record to end
   * "now", because the 16-bit minute tag of a frame only reaches 45 days back.
   */
  shiftMs?: number
  /**
   * Data time per wall-clock time: 600 sends a 10-minute step every second;
   * 'max' (default) as fast as the broker acks (and `settle`) allow.
   */
  speed?: number | 'max'
  /**
   * Adaptive reporting (edge/gauge/reporting.ts): the true level is measured
   * every `sampleMs` of data time and the 監視/観測 policy decides what is sent,
   * as the firmware does. Off: a frame every `intervalMs` in `mode`.
   */
  adaptive?: boolean | Partial<ReportingSettings>
  /** adaptive: data time between measurements (default 1 min) */
  sampleMs?: number
  /**
   * Resolves when the pipeline has handled the frame for `time` (e.g. the `reading`
   * bus event). The replay waits for it, so it runs as fast as the pipeline can
   * go and data time never runs ahead of the processing.
   */
  settle?: (time: number) => Promise<void>
  /** after each frame sent (time = original data time) */
  onFrame?: (p: ReplayProgress) => void
  /** MQTT credentials when the broker requires them (username = device id) */
  username?: string
  password?: string
  /** default the station's device id (the broker requires it for a device account) */
  clientId?: string
}

export interface ReplayProgress {
  /** original data time of the frame just sent */
  time: number
  frames: number
  /** data time replayed per wall time so far */
  speedup: number
  mode: GaugeMode
}

export interface ReplayResult {
  frames: number
  dataSpanMs: number
  wallMs: number
  /** data time replayed per wall-clock time */
  speedup: number
  /** original data times of the frames sent, in order */
  uplinks: number[]
  /** adaptive: measurements taken, and the policy's uplink counts by reason */
  measurements: number
  reasons?: Readonly<Record<ReportReason, number>>
  /** first / last replayed original data time */
  from: number
  to: number
  shiftMs: number
  /** true when the record was interpolated (`resample` / `adaptive`); false: the recorded rows only */
  resampled: boolean
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/**
 * Replays a recorded hydrograph through the real path: true level (linear
 * interpolation of the record) → gauge model (edge/gauge/measure.ts: pings,
 * median/MAD, 1 cm) → [adaptive 監視/観測 policy] → encodeUplink → MQTT QoS 1 →
 * ingest → QC → store → rules. Each frame carries its (shifted) data time; with
 * a `clock`, the clock is set to it before publishing, so nothing waits for the
 * wall clock. `speed` paces data time against the wall clock.
 */
export async function replayHydrograph (o: ReplayOptions): Promise<ReplayResult> {
  const level = interpolated(o.points)
  const interval = o.intervalMs ?? 600_000
  const first = o.points[0]
  const last = o.points[o.points.length - 1]
  if (first === undefined || last === undefined) throw new Error('empty record')
  const from = Math.ceil((o.from ?? first.time) / 60_000) * 60_000
  const to = o.to ?? last.time
  if (to < from) throw new Error('nothing to replay: --to is before --from')
  const shift = o.shiftMs ?? 0
  const speed = o.speed ?? 'max'
  if (speed !== 'max' && !(speed > 0)) throw new RangeError('speed must be > 0 or "max"')
  const rng = createRng(seedFrom(`replay:${o.station.deviceId}`))
  const policy = o.adaptive === undefined || o.adaptive === false
    ? undefined
    : createReportingPolicy({
      observationStartM: o.station.thresholds.observationStart ?? o.station.thresholds.standby,
      observeIntervalMin: Math.round(interval / 60_000),
      watchSampleMin: Math.round((o.sampleMs ?? 60_000) / 60_000),
      ...(o.adaptive === true ? {} : o.adaptive)
    })
  const step = policy === undefined ? interval : (o.sampleMs ?? 60_000)
  const resampled = policy !== undefined || o.resample === true
  // native: the recorded rows in [from, to] and nothing else
  const rows = resampled ? [] : o.points.filter(p => p.time >= (o.from ?? first.time) && p.time <= to)
  const times = function * (): Generator<{ t: number, row?: RecordedPoint }> {
    if (!resampled) { for (const row of rows) yield { t: row.time, row }; return }
    for (let t = from; t <= to; t += step) yield { t }
  }
  o.clock?.set((resampled ? from : rows[0]?.time ?? from) + shift)
  const client: MqttClient = await connectMqtt({
    url: o.mqttUrl,
    clientId: o.clientId ?? o.station.deviceId,
    logger: o.logger.child({ replay: o.station.id }),
    ...(o.username === undefined ? {} : { username: o.username, password: o.password ?? '' })
  })
  const topic = deviceTopic('gauge', o.station.deviceId, 'up')
  const started = performance.now()
  const uplinks: number[] = []
  let measurements = 0
  try {
    const t0 = resampled ? from : rows[0]?.time ?? from
    for (const { t, row } of times()) {
      if (speed !== 'max') {
        const due = started + (t - t0) / speed
        const wait = due - performance.now()
        if (wait > 1) await sleep(wait)
      }
      const time = t + shift
      o.clock?.set(time)
      const mode = policy?.mode ?? o.mode ?? 'observe'
      if (row !== undefined) {
        // the recorded value as the gauge reported it: no model noise, no interpolation
        const input: GaugeUplinkInput = { mode, levelM: row.level, batteryV: row.batteryV === undefined ? (o.batteryV ?? 3.6) : row.batteryV, temperatureC: null, spreadMm: null, validPings: 1, totalPings: 1, time }
        measurements++
        const settled = o.settle?.(time)
        await client.publishAsync(topic, Buffer.from(encodeUplink(input)), { qos: 1 })
        await settled
        uplinks.push(t)
        o.onFrame?.({ time: t, frames: uplinks.length, speedup: (t - t0) / Math.max(performance.now() - started, 1), mode })
        continue
      }
      const m = measure({
        mount: { sensorHeight: o.station.sensorHeight },
        trueLevelM: level(t),
        time,
        mode,
        batteryV: o.batteryV ?? 3.6,
        temperatureC: 20,
        rng
      })
      measurements++
      let input: GaugeUplinkInput = m
      if (policy !== undefined) {
        const decision = policy.onMeasurement(time, m.levelM)
        if (!decision.report) continue
        input = { ...m, mode: decision.mode, type: decision.type }
      }
      const settled = o.settle?.(time)
      await client.publishAsync(topic, Buffer.from(encodeUplink(input)), { qos: 1 })
      await settled
      uplinks.push(t)
      const wallMs = performance.now() - started
      o.onFrame?.({ time: t, frames: uplinks.length, speedup: (t - from) / Math.max(wallMs, 1), mode: input.mode })
    }
  } finally {
    await endMqtt(client)
  }
  const wallMs = performance.now() - started
  const dataSpanMs = to - from
  return {
    frames: uplinks.length,
    dataSpanMs,
    wallMs,
    speedup: dataSpanMs / Math.max(wallMs, 1),
    uplinks,
    measurements,
    ...(policy === undefined ? {} : { reasons: { ...policy.counts } }),
    from: resampled ? from : rows[0]?.time ?? from,
    to,
    shiftMs: shift,
    resampled
  }
}

/** Uplinks per calendar day (JST, the gauges' local day), for the calm-period count. */
export function uplinksPerDay (uplinks: readonly number[], from: number, to: number): Array<{ day: string, uplinks: number }> {
  const JST = 9 * 3_600_000
  const dayOf = (t: number): string => new Date(t + JST).toISOString().slice(0, 10)
  const out = new Map<string, number>()
  for (let d = Math.floor((from + JST) / 86_400_000); d <= Math.floor((to + JST) / 86_400_000); d++) out.set(new Date(d * 86_400_000).toISOString().slice(0, 10), 0)
  for (const t of uplinks) out.set(dayOf(t), (out.get(dayOf(t)) ?? 0) + 1)
  return [...out].map(([day, uplinks]) => ({ day, uplinks }))
}
