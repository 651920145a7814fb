import { MimamoriError } from '../../core/errors.js'
import type { LevelStatus, Reading, Station } from '../../core/types.js'
import { DEVICE_FLAGS, readGaugeFrame, resolveTimeTag, UPLINK_FPORT, type GaugeFrameFields } from '../../codecs/gauge-v1.js'
import type { HandlerContext } from './context.js'
import { createQualityControl, type QcResult, type QualityControl } from '../qc/index.js'
import { createBandTracker, type BandTracker } from '../../core/river/band.js'

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

/** The live band per station, under the alerts' confirmation rule (core/river/band.ts). */
const bandsByContext = new WeakMap<HandlerContext, Map<string, BandTracker>>()
function bandFor (ctx: HandlerContext, station: Station): BandTracker {
  let byStation = bandsByContext.get(ctx)
  if (byStation === undefined) {
    byStation = new Map()
    bandsByContext.set(ctx, byStation)
  }
  let t = byStation.get(station.id)
  if (t === undefined) {
    // seeded from the band ingest restored at start, so a restart does not re-announce it
    t = createBandTracker(() => ctx.store.getStation(station.id)?.thresholds ?? station.thresholds, ctx.lastStatus.get(station.id))
    byStation.set(station.id, t)
  }
  return t
}

/**
 * One gauge uplink, from raw bytes to a stored reading and bus events.
 * Throws MimamoriError for anything it refuses; the caller counts and acks.
 * QARTOD: flag, never drop. A level outside the gross range (above the sensor
 * face, a no-echo value) is stored with flag 4, a frame without a level as a
 * gap with flag 9 (`missing`); neither moves the band or an alert.
 */
export function handleGaugeUplink (ctx: HandlerContext, deviceId: string, bytes: Uint8Array, fPort: number, receivedAt: number): Promise<'inserted' | 'duplicate'> {
  const station = ctx.store.stationByDevice(deviceId)
  if (station === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `gauge ${deviceId} is not assigned to a station`)
  }
  if (station.state === 'retired') throw new MimamoriError('MIMAMORI_ERR_DEVICE_RETIRED', `station ${station.id} is retired`)
  const frame = readGaugeFrame(bytes, fPort)
  // the minute tag resolved against the arrival as decodeGaugeFrame does (recvTime = new Date(receivedAt)), without its ISO round trip
  const time = resolveTimeTag(frame.timeTag, Math.trunc(receivedAt))
  // what new Date(…).toISOString() threw for an arrival outside the Date range
  if (!(Math.abs(time) <= 8.64e15) || !(Math.abs(receivedAt) <= 8.64e15)) throw new RangeError('Invalid time value')
  const reading = toReading(station, deviceId, frame, time, receivedAt)
  return settleReading(ctx, station, reading, { level: frame.levelM, deviceLowBattery: (frame.flagBits & DEVICE_FLAGS.lowBattery) !== 0, mode: frame.mode })
}

/**
 * QC → store → band → bus for one reading, whatever decoded it (our frame or a
 * vendor codec through its device profile), so QC, thresholds and alerts are
 * the same for every device. `level` null: a gap (QC flag 9).
 */
export function settleReading (ctx: HandlerContext, station: Station, reading: Reading, m: Measured): Promise<'inserted' | 'duplicate'> {
  // QC before the write, so the flags are stored with the reading; synchronous once the station's state is seeded
  const qc = qcFor(ctx).check(station, {
    time: reading.time,
    receivedAt: reading.receivedAt,
    level: m.level,
    batteryV: reading.batteryV,
    deviceLowBattery: m.deviceLowBattery
  })
  return qc instanceof Promise ? qc.then(async r => await storeChecked(ctx, station, reading, m, r)) : storeChecked(ctx, station, reading, m, qc)
}

interface Measured { level: number | null, deviceLowBattery: boolean, mode?: Reading['mode'] }

async function storeChecked (ctx: HandlerContext, station: Station, reading: Reading, m: Measured, qc: QcResult): Promise<'inserted' | 'duplicate'> {
  reading.qc = qc.qc
  const result = await ctx.store.writeReading(reading)
  if (result === 'duplicate') return result
  for (const rev of qc.revisions) await ctx.store.updateReadingQc?.(station.id, rev.time, rev.qc)
  // on the bus only, after the write: the rules learn a station's cadence from frames on a beat (not 監視)
  if (m.mode !== undefined) reading.mode = m.mode

  // Late backlog frames must not flip the band back to an older state.
  const latestKnown = ctx.lastTime.get(station.id) ?? Number.NEGATIVE_INFINITY
  const inOrder = reading.time >= latestKnown
  const settled = inOrder ? bandFor(ctx, station).step(reading) : []
  if (inOrder) ctx.lastTime.set(station.id, reading.time)
  if (m.level === null) {
    ctx.bus.emit('missingReading', { reading })
    return result
  }
  // a confirmed suspect reading announces its band before this reading's own
  let from: LevelStatus | 'unknown' = ctx.lastStatus.get(station.id) ?? 'unknown'
  for (const s of settled) {
    ctx.lastStatus.set(station.id, s.status)
    ctx.bus.emit('statusChange', { stationId: station.id, from, to: s.status, time: reading.time, level: s.level })
    from = s.status
  }
  ctx.bus.emit('reading', { reading, status: ctx.lastStatus.get(station.id) ?? 'unknown' })
  return result
}

export { UPLINK_FPORT }

function toReading (station: Station, deviceId: string, f: GaugeFrameFields, time: number, receivedAt: number): Reading {
  return {
    stationId: station.id,
    deviceId,
    time,
    receivedAt,
    // NaN in memory for a frame without a level (QC flag 9); stored and served as null
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
