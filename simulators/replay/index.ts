import type { Logger } from '../../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../../core/mqtt.js'
import { createRng, seedFrom } from '../../core/random.js'
import { deviceTopic } from '../../core/topics.js'
import type { Station } from '../../core/types.js'
import { encodeUplink, type GaugeMode } from '../../ingest/codecs/gauge-v1.js'
import { measure } from '../../edge/gauge/measure.js'
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
  clock: ReplayClock
  /** reporting interval in data time (観測 mode: 10 min) */
  intervalMs?: number
  /** first / last report time; default the record's span */
  from?: number
  to?: number
  mode?: GaugeMode
  batteryV?: number
  /**
   * Resolves when the pipeline has handled the frame for `time` (e.g. the `reading`
   * bus event). The replay waits for it, so it runs as fast as the pipeline can
   * go and data time never runs ahead of the processing.
   */
  settle?: (time: number) => Promise<void>
  /** MQTT credentials when the broker requires them */
  username?: string
  password?: string
}

export interface ReplayResult {
  frames: number
  dataSpanMs: number
  wallMs: number
  /** data time replayed per wall-clock time */
  speedup: number
}

/**
 * Replays a recorded hydrograph through the real path: true level (linear
 * interpolation of the record) → gauge model (edge/gauge/measure.ts: pings,
 * median/MAD, 1 cm) → encodeUplink → MQTT QoS 1 → ingest → QC → store → rules.
 * Data-time driven: each frame carries its data time and the clock is set to it
 * before publishing, so nothing waits for the wall clock.
 */
export async function replayHydrograph (o: ReplayOptions): Promise<ReplayResult> {
  const level = interpolated(o.points)
  const interval = o.intervalMs ?? 600_000
  const first = o.points[0]
  const last = o.points[o.points.length - 1]
  if (first === undefined || last === undefined) throw new Error('empty record')
  const from = Math.ceil((o.from ?? first.time) / 60_000) * 60_000
  const to = o.to ?? last.time
  const rng = createRng(seedFrom(`replay:${o.station.deviceId}`))
  o.clock.set(from)
  const client: MqttClient = await connectMqtt({
    url: o.mqttUrl,
    clientId: o.station.deviceId,
    logger: o.logger.child({ replay: o.station.id }),
    ...(o.username === undefined ? {} : { username: o.username, password: o.password ?? '' })
  })
  const topic = deviceTopic('gauge', o.station.deviceId, 'up')
  const started = performance.now()
  let frames = 0
  try {
    for (let t = from; t <= to; t += interval) {
      o.clock.set(t)
      const frame = encodeUplink(measure({
        mount: { sensorHeight: o.station.sensorHeight },
        trueLevelM: level(t),
        time: t,
        mode: o.mode ?? 'observe',
        batteryV: o.batteryV ?? 3.6,
        temperatureC: 20,
        rng
      }))
      const settled = o.settle?.(t)
      await client.publishAsync(topic, Buffer.from(frame), { qos: 1 })
      await settled
      frames++
    }
  } finally {
    await endMqtt(client)
  }
  const wallMs = performance.now() - started
  const dataSpanMs = to - from
  return { frames, dataSpanMs, wallMs, speedup: dataSpanMs / Math.max(wallMs, 1) }
}
