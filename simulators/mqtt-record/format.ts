import { MimamoriError } from '../../core/errors.js'

/**
 * One MQTT message as `mimamori record` saw it, one JSON object per line (NDJSON):
 *
 *   {"t":"2026-08-12T05:10:00.123Z","topic":"mmr/v1/gauge/g-01/up","qos":1,"retain":false,"payload":"AQID…"}
 *
 * `t` is the receive time at the recorder (ISO 8601 UTC, ms), `payload` base64 so a
 * binary gauge frame or a JPEG envelope survives unchanged. The first line is a
 * header (`{"mimamori":"mqtt-recording","version":1,…}`) naming what was recorded.
 */
export interface RecordedMessage {
  /** receive time, ms since epoch */
  time: number
  topic: string
  qos: 0 | 1 | 2
  retain: boolean
  payload: Buffer
}

export interface RecordingHeader {
  mimamori: 'mqtt-recording'
  version: 1
  startedAt: string
  broker: string
  topics: string[]
}

export function headerLine (h: Omit<RecordingHeader, 'mimamori' | 'version'>): string {
  return JSON.stringify({ mimamori: 'mqtt-recording', version: 1, ...h }) + '\n'
}

export function messageLine (m: RecordedMessage): string {
  return JSON.stringify({ t: new Date(m.time).toISOString(), topic: m.topic, qos: m.qos, retain: m.retain, payload: m.payload.toString('base64') }) + '\n'
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * One line back to a message; the header gives `undefined`. A line that is not a
 * message throws MIMAMORI_ERR_RECORDING naming the line number, so a hand-edited
 * or truncated file says where it is wrong.
 */
export function parseLine (line: string, lineNo: number): RecordedMessage | RecordingHeader | undefined {
  if (line.trim() === '') return undefined
  const bad = (why: string): MimamoriError => new MimamoriError('MIMAMORI_ERR_RECORDING', `line ${lineNo}: ${why}`, { details: { line: lineNo } })
  let o: unknown
  try {
    o = JSON.parse(line)
  } catch {
    throw bad('not JSON (a recording has one JSON object per line)')
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('not a JSON object')
  const r = o as Record<string, unknown>
  if (r.mimamori === 'mqtt-recording') {
    if (r.version !== 1) throw bad(`recording version ${String(r.version)} is not supported (1 is)`)
    return r as unknown as RecordingHeader
  }
  const time = typeof r.t === 'string' ? Date.parse(r.t) : NaN
  if (!Number.isFinite(time)) throw bad('"t" must be an ISO 8601 time')
  if (typeof r.topic !== 'string' || r.topic === '' || r.topic.includes('+') || r.topic.includes('#')) throw bad('"topic" must be a topic name without wildcards')
  if (r.qos !== 0 && r.qos !== 1 && r.qos !== 2) throw bad('"qos" must be 0, 1 or 2')
  if (typeof r.retain !== 'boolean') throw bad('"retain" must be true or false')
  if (typeof r.payload !== 'string' || r.payload.length % 4 !== 0 || !BASE64.test(r.payload)) throw bad('"payload" must be base64')
  return { time, topic: r.topic, qos: r.qos, retain: r.retain, payload: Buffer.from(r.payload, 'base64') }
}

export function isHeader (x: RecordedMessage | RecordingHeader): x is RecordingHeader {
  return (x as RecordingHeader).mimamori === 'mqtt-recording'
}
