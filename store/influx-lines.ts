import { Point, type WritePrecisionType } from '@influxdata/influxdb-client'
import { LineBuilder, escapeMeasurement, escapeTag, quoted } from './line-protocol.js'
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
  if (precision === 'ms' && Number.isSafeInteger(Math.round(timeMs))) return String(Math.round(timeMs))
  return (BigInt(Math.round(timeMs)) * PRECISION_PER_MS[precision]).toString()
}

export function readingToLine (r: Reading, measurement: string, precision: WritePrecisionType): string {
  return fastReadingLine(r, measurement, precision) ?? genericReadingLine(r, measurement, precision)
}

/** Reading keys the fast path knows; any other key (present and not null) takes the generic path. */
const FAST_KEYS = new Set(['stationId', 'deviceId', 'time', 'level', 'batteryV', 'temperatureC', 'spreadMm', 'validPings', 'totalPings', 'deviceFlags', 'seq', 'receivedAt', 'qc'])
const INT_LIMIT = 9223372036854776e3
const EMPTY_TESTS = '"{}"'

/** a float field, or '' when absent (null, NaN, ±Infinity: the generic path skips those too) */
const fl = (key: string, v: number | null): string => typeof v === 'number' && Number.isFinite(v) ? `${key}=${v}` : ''
/** an integer field, '' when absent; undefined when out of range (the generic path throws for it) */
const int = (key: string, v: number): string | undefined => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return ''
  const t = Math.trunc(v)
  return t <= -INT_LIMIT || t >= INT_LIMIT ? undefined : `${key}=${t}i`
}

/**
 * The line of a reading of the usual shape, built by concatenation in the fixed key order
 * (tags device, station; fields sorted by name), byte-identical to `genericReadingLine`
 * (test/unit/line-protocol.test.ts compares them over generated readings). It runs once per
 * reading in the drain, where the generic builder (tuple arrays, sorting, escaping every key,
 * a rope of concatenations per line) was ≈ 9–13 µs of CPU per reading, GC included; this is ≈ 1.6 µs. undefined: not the usual shape.
 */
function fastReadingLine (r: Reading, measurement: string, precision: WritePrecisionType): string | undefined {
  for (const key in r) {
    if (!FAST_KEYS.has(key) && (r as unknown as Record<string, unknown>)[key] != null) return undefined
  }
  if (typeof r.stationId !== 'string' || typeof r.deviceId !== 'string') return undefined
  const ints = [int('device_flags', r.deviceFlags), int('received_at', r.receivedAt), int('seq', r.seq), int('total_pings', r.totalPings), int('valid_pings', r.validPings)]
  if (ints.includes(undefined)) return undefined
  const qc = r.qc
  if (qc === null || (qc !== undefined && !Number.isFinite(qc.flag))) return undefined
  const qcFlag = qc === undefined ? '' : int('qc_flag', qc.flag)
  if (qcFlag === undefined) return undefined
  const qcTests = qc === undefined ? '' : `qc_tests=${isEmpty(qc.tests) ? EMPTY_TESTS : quoted(JSON.stringify(qc.tests))}`
  // field order: battery_v, device_flags, level, qc_flag, qc_tests, received_at, seq, spread_mm, temperature_c, total_pings, valid_pings
  const parts = [fl('battery_v', r.batteryV), ints[0]!, fl('level', r.level), qcFlag, qcTests, ints[1]!, ints[2]!, fl('spread_mm', r.spreadMm), fl('temperature_c', r.temperatureC), ints[3]!, ints[4]!]
  // join, not `+=` in a loop: a line built by repeated concatenation is a deep rope of cons strings, and
  // a batch of 5 000 of those surviving a scavenge cost ≈ 8 µs per line in GC (measured); join is flat
  const fields = parts.filter(f => f !== '').join(',')
  if (fields === '') return undefined
  let head = escapeMeasurement(measurement)
  if (r.deviceId !== '') head += `,device=${escapeTag(r.deviceId)}`
  if (r.stationId !== '') head += `,station=${escapeTag(r.stationId)}`
  return `${head} ${fields} ${timestampFor(r.time, precision)}`
}

function isEmpty (o: object): boolean {
  for (const _ in o) return false
  return true
}

/** the reference serializer: every key of the reading, through LineBuilder */
export function genericReadingLine (r: Reading, measurement: string, precision: WritePrecisionType): string {
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
