import { MimamoriError } from '../../core/errors.js'
import { classifyLevel } from '../../core/levels.js'
import type { Reading, Station } from '../../core/types.js'
import { decodeGaugeFrame, UPLINK_FPORT, type GaugeUplinkData } from '../codecs/gauge-v1.js'
import type { HandlerContext } from './context.js'
import { createQualityControl, type QualityControl } from '../qc/index.js'

/** QC keeps per-station state; one instance per ingest (keyed by its handler context). */
const qcByContext = new WeakMap<HandlerContext, QualityControl>()
function qcFor (ctx: HandlerContext): QualityControl {
  let qc = qcByContext.get(ctx)
  if (qc === undefined) {
    qc = createQualityControl({ config: ctx.config, store: ctx.store })
    qcByContext.set(ctx, qc)
  }
  return qc
}

/** Below this the water would be under the river bed by tens of metres: a sensor or config fault. */
const LOWEST_PLAUSIBLE_LEVEL_M = -30

/**
 * One gauge uplink, from raw bytes to a stored reading and bus events.
 * Throws MimamoriError for anything it refuses; the caller counts and acks.
 */
export async function handleGaugeUplink (ctx: HandlerContext, deviceId: string, bytes: Uint8Array, fPort: number, receivedAt: number): Promise<'inserted' | 'duplicate' | 'no-level'> {
  const station = ctx.store.stationByDevice(deviceId)
  if (station === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `gauge ${deviceId} is not assigned to a station`)
  }
  const frame = decodeGaugeFrame({ bytes, fPort, recvTime: new Date(receivedAt) })
  if (frame.levelM === null) return 'no-level'
  const reading = toReading(station, deviceId, frame, receivedAt)
  validateReading(station, reading)

  // QC before the write, so the flags are stored with the reading (QARTOD: flag, never drop).
  const qc = await qcFor(ctx).check(station, {
    time: reading.time,
    receivedAt,
    level: reading.level,
    batteryV: reading.batteryV,
    deviceLowBattery: frame.flags.includes('lowBattery')
  })
  reading.qc = qc.qc
  const result = await ctx.store.writeReading(reading)
  if (result === 'duplicate') return result
  for (const rev of qc.revisions) await ctx.store.updateReadingQc?.(station.id, rev.time, rev.qc)

  const status = classifyLevel(reading.level, station.thresholds)
  const previous = ctx.lastStatus.get(station.id)
  ctx.bus.emit('reading', { reading, status })
  // Late backlog frames must not flip the band back to an older state.
  const latestKnown = ctx.lastTime.get(station.id) ?? 0
  // A failed reading (QC flag 4) is stored and shown, but must not move the station's band.
  if (reading.time >= latestKnown && qc.qc.flag !== 4) {
    ctx.lastTime.set(station.id, reading.time)
    if (previous !== status) {
      ctx.lastStatus.set(station.id, status)
      ctx.bus.emit('statusChange', { stationId: station.id, from: previous ?? 'unknown', to: status, time: reading.time, level: reading.level })
    }
  }
  return result
}

export { UPLINK_FPORT }

function toReading (station: Station, deviceId: string, f: GaugeUplinkData, receivedAt: number): Reading {
  return {
    stationId: station.id,
    deviceId,
    time: f.time === undefined ? receivedAt : Date.parse(f.time),
    receivedAt,
    level: f.levelM ?? Number.NaN,
    batteryV: f.batteryV,
    temperatureC: f.temperatureC,
    spreadMm: f.spreadMm,
    validPings: f.validPings,
    totalPings: f.totalPings,
    deviceFlags: f.flagBits,
    seq: f.timeTag
  }
}

function validateReading (station: Station, r: Reading): void {
  // A level above the sensor face is physically impossible for a downward-looking gauge.
  if (r.level > station.sensorHeight || r.level < LOWEST_PLAUSIBLE_LEVEL_M) {
    throw new MimamoriError('MIMAMORI_ERR_INVALID_READING', `level ${r.level} m at ${station.id} is outside ${LOWEST_PLAUSIBLE_LEVEL_M}..${station.sensorHeight} m`)
  }
}
