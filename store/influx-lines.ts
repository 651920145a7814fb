import { Point, type WritePrecisionType } from '@influxdata/influxdb-client'
import { LineBuilder } from './line-protocol.js'
import type { Detection, QcFlag, Reading } from '../core/types.js'

/**
 * InfluxDB schema for gauge readings (see docs/storage.md):
 *   measurement  water_level (configurable)
 *   tags         station, device           — low cardinality, what queries filter and group by
 *   fields       level (float, m), battery_v, temperature_c, spread_mm (float),
 *                valid_pings, total_pings, device_flags, seq (integer), received_at (integer, ms)
 *   time         observation time from the frame
 * Series key + time is the idempotency key: a re-sent line overwrites itself
 * in InfluxDB instead of adding a point.
 *                qc_flag (integer QARTOD flag), qc_tests (string, JSON of the tests that did not pass)
 * Properties added to Reading later are written as extra fields:
 * numbers/booleans/strings under their snake_case name, objects as `<name>_json`.
 */
const KNOWN: Record<string, { field: string, kind: 'float' | 'int' } | { tag: string } | { skip: true }> = {
  stationId: { tag: 'station' },
  deviceId: { tag: 'device' },
  time: { skip: true },
  level: { field: 'level', kind: 'float' },
  batteryV: { field: 'battery_v', kind: 'float' },
  temperatureC: { field: 'temperature_c', kind: 'float' },
  spreadMm: { field: 'spread_mm', kind: 'float' },
  validPings: { field: 'valid_pings', kind: 'int' },
  totalPings: { field: 'total_pings', kind: 'int' },
  deviceFlags: { field: 'device_flags', kind: 'int' },
  seq: { field: 'seq', kind: 'int' },
  receivedAt: { field: 'received_at', kind: 'int' },
  qc: { skip: true }
}

const PRECISION_PER_MS: Record<WritePrecisionType, bigint> = { s: 0n, ms: 1n, us: 1000n, ns: 1_000_000n }

export function timestampFor (timeMs: number, precision: WritePrecisionType): string {
  if (precision === 's') return String(Math.floor(timeMs / 1000))
  return (BigInt(Math.round(timeMs)) * PRECISION_PER_MS[precision]).toString()
}

export function readingToLine (r: Reading, measurement: string, precision: WritePrecisionType): string {
  const p = new LineBuilder(measurement)
  for (const key in r) {
    const value = (r as unknown as Record<string, unknown>)[key]
    if (value === null || value === undefined) continue
    const known = KNOWN[key]
    if (known !== undefined) {
      if ('skip' in known) continue
      if ('tag' in known) p.tag(known.tag, String(value))
      else if (typeof value === 'number' && Number.isFinite(value)) {
        if (known.kind === 'float') p.float(known.field, value)
        else p.int(known.field, Math.trunc(value))
      }
      continue
    }
    const name = snake(key)
    if (typeof value === 'number') { if (Number.isFinite(value)) p.float(name, value) } else if (typeof value === 'boolean') p.bool(name, value)
    else if (typeof value === 'string') p.string(name, value)
    else p.string(`${name}_json`, JSON.stringify(value))
  }
  // QC verdict: the flag as an integer field so queries can filter on it (WHERE qc_flag < 4),
  // the failing tests as a JSON string (InfluxDB keeps it; VictoriaMetrics drops string fields)
  if (r.qc !== undefined) {
    p.int('qc_flag', r.qc.flag)
    p.string('qc_tests', JSON.stringify(r.qc.tests))
  }
  const line = p.line(timestampFor(r.time, precision))
  if (line === undefined) throw new Error(`reading ${r.stationId}@${r.time} has no field to write`)
  return line
}

/** One InfluxQL result row (columns zipped with values, `epoch=ms`) back into a Reading. */
export function rowToReading (row: Record<string, unknown>): Reading {
  const num = (k: string): number | null => typeof row[k] === 'number' ? row[k] : null
  const r: Reading & Record<string, unknown> = {
    stationId: String(row.station),
    deviceId: String(row.device ?? ''),
    time: Number(row.time),
    receivedAt: num('received_at') ?? Number(row.time),
    level: num('level') ?? Number.NaN,
    batteryV: num('battery_v'),
    temperatureC: num('temperature_c'),
    spreadMm: num('spread_mm'),
    validPings: num('valid_pings') ?? 0,
    totalPings: num('total_pings') ?? 0,
    deviceFlags: num('device_flags') ?? 0,
    seq: num('seq') ?? 0
  }
  if (typeof row.qc_flag === 'number') {
    let tests: Record<string, QcFlag> = {}
    try { tests = JSON.parse(typeof row.qc_tests === 'string' ? row.qc_tests : '{}') as Record<string, QcFlag> } catch { /* keep the flag */ }
    r.qc = { flag: row.qc_flag as QcFlag, tests }
  }
  const knownColumns = new Set(['time', 'station', 'device', 'qc_flag', 'qc_tests', ...Object.values(KNOWN).flatMap(k => 'field' in k ? [k.field] : [])])
  for (const [col, v] of Object.entries(row)) {
    if (knownColumns.has(col) || v === null || v === undefined) continue
    if (col.endsWith('_json') && typeof v === 'string') {
      try { r[camel(col.slice(0, -5))] = JSON.parse(v) } catch { r[camel(col)] = v }
    } else r[camel(col)] = v
  }
  return r
}

function snake (s: string): string {
  return s.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)
}

function camel (s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/**
 * Wildlife detections share the readings' outbox: a row whose `stationId`
 * starts with this prefix holds a DetectionPoint, not a Reading. The key is
 * `wildlife_detection/<camera>/<frame>` + capture time, so a redelivered frame
 * is a duplicate, and station lookups never match it.
 */
export const DETECTION_KEY_PREFIX = 'wildlife_detection/'

export interface DetectionPoint {
  /** outbox key, see DETECTION_KEY_PREFIX */
  stationId: string
  time: number
  detection: Detection
}

export function detectionPoint (d: Detection): DetectionPoint {
  return { stationId: `${DETECTION_KEY_PREFIX}${d.cameraId}/${d.frameIndex}`, time: d.time, detection: d }
}

export function isDetectionPoint (doc: { stationId: string }): doc is DetectionPoint & Reading {
  return doc.stationId.startsWith(DETECTION_KEY_PREFIX) && 'detection' in doc
}

/**
 *   measurement  wildlife_detection (configurable)
 *   tags         camera, label (ImageNet label of the best view; "none" when empty)
 *   fields       score (float 0..1, the frame's monkey evidence), monkey (boolean: the frame is positive),
 *                best_crop (float: best detector/motion crop score, 0 when none), frame_index (integer),
 *                burst_id, via (string), error_code (string, only for frames that could not be analysed)
 *   time         capture time of the frame
 */
export function detectionToLine (d: Detection, measurement: string, precision: WritePrecisionType): string {
  const p = new Point(measurement)
    .tag('camera', d.cameraId)
    .tag('label', d.label === '' ? 'none' : d.label)
    .floatField('score', Number.isFinite(d.score) ? d.score : 0)
    .booleanField('monkey', d.positive)
    .floatField('best_crop', Math.max(0, ...d.boxes.map(b => Number.isFinite(b.monkeyScore) ? b.monkeyScore : 0)))
    .intField('frame_index', d.frameIndex)
    .stringField('burst_id', d.burstId)
    .stringField('via', d.via)
  if (d.errorCode !== null) p.stringField('error_code', d.errorCode)
  p.timestamp(timestampFor(d.time, precision))
  return p.toLineProtocol()!
}
