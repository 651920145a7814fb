import { MimamoriError } from '../../core/errors.js'

/** One LoRaWAN uplink as every network server hands it over, reduced to what ingest needs. */
export interface LorawanUplink {
  /** lower case, 16 hex digits */
  devEui: string
  fCnt: number
  fPort: number
  bytes: Buffer
  /** the network server's receive time, ms since epoch; undefined when it sent none */
  time: number | undefined
  via: 'chirpstack' | 'tts' | 'generic'
}

const DEV_EUI = /^[0-9a-f]{16}$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function bad (message: string): MimamoriError {
  return new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', message)
}

function parseJson (payload: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(payload).toString('utf8'))
  } catch (err) {
    throw bad(`${what} is not JSON: ${(err as Error).message}`)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} is not a JSON object`)
  return v as Record<string, unknown>
}

function obj (v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined
}

function timeOf (...candidates: unknown[]): number | undefined {
  for (const c of candidates) {
    if (typeof c !== 'string') continue
    const t = Date.parse(c)
    if (Number.isFinite(t)) return t
  }
  return undefined
}

function counter (v: unknown, what: string): number {
  // protobuf JSON leaves zero values out: a missing counter or port is 0
  if (v === undefined) return 0
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw bad(`${what} is not a frame counter / port`)
  return v
}

function payloadBytes (v: unknown, what: string): Buffer {
  if (v === undefined || v === '') return Buffer.alloc(0)
  if (typeof v !== 'string' || !BASE64.test(v)) throw bad(`${what} is not base64`)
  return Buffer.from(v, 'base64')
}

function devEuiOf (v: unknown, what: string): string {
  const eui = typeof v === 'string' ? v.toLowerCase() : ''
  if (!DEV_EUI.test(eui)) throw bad(`${what} is not a DevEUI (16 hex digits)`)
  return eui
}

/**
 * ChirpStack v4 `event/up` (JSON marshaling): deviceInfo.devEui, fCnt, fPort,
 * base64 `data`, `time`. Null for a MAC-command-only uplink (fPort 0, no data).
 */
export function parseChirpstackUp (payload: Uint8Array, topicDevEui: string): LorawanUplink | null {
  const e = parseJson(payload, 'ChirpStack uplink (the integration must use JSON marshaling)')
  const devEui = devEuiOf(obj(e.deviceInfo)?.devEui, 'ChirpStack uplink deviceInfo.devEui')
  if (devEui !== topicDevEui.toLowerCase()) throw bad(`deviceInfo.devEui ${devEui} does not match the topic's ${topicDevEui}`)
  const fPort = counter(e.fPort, 'fPort')
  const bytes = payloadBytes(e.data, 'ChirpStack uplink `data`')
  if (fPort === 0 || bytes.length === 0) return null
  return { devEui, fCnt: counter(e.fCnt, 'fCnt'), fPort, bytes, time: timeOf(e.time), via: 'chirpstack' }
}

/**
 * The Things Stack v3 uplink message, as its MQTT integration publishes it on
 * `v3/{application}@{tenant}/devices/{device}/up` and its webhooks POST it:
 * end_device_ids { device_id, dev_eui }, uplink_message { f_port, f_cnt,
 * frm_payload (base64), received_at }. Null for an uplink without application
 * payload. `topicDeviceId`, when given, must be the message's device_id.
 */
export function parseTtsUp (payload: Uint8Array, topicDeviceId?: string): LorawanUplink | null {
  const m = parseJson(payload, 'The Things Stack uplink')
  const ids = obj(m.end_device_ids)
  if (ids === undefined) throw bad('The Things Stack uplink has no end_device_ids')
  if (topicDeviceId !== undefined && ids.device_id !== topicDeviceId) throw bad(`end_device_ids.device_id does not match the topic's ${topicDeviceId}`)
  const devEui = devEuiOf(ids.dev_eui, 'end_device_ids.dev_eui')
  const up = obj(m.uplink_message)
  if (up === undefined) throw bad('The Things Stack message has no uplink_message (only `up` messages carry measurements)')
  const fPort = counter(up.f_port, 'uplink_message.f_port')
  const bytes = payloadBytes(up.frm_payload, 'uplink_message.frm_payload')
  if (fPort === 0 || bytes.length === 0) return null
  return { devEui, fCnt: counter(up.f_cnt, 'uplink_message.f_cnt'), fPort, bytes, time: timeOf(up.received_at, obj(up.settings)?.time, m.received_at), via: 'tts' }
}

/**
 * Our generic uplink (docs/devices.md): `{ "devEui", "fCnt", "fPort",
 * "payload" (base64), "time"? }`, for any network server or gateway bridge
 * that can POST signed JSON (POST /api/lorawan/uplink) or publish on
 * `lorawan/{devEui}/up`.
 */
export function parseGenericUp (payload: Uint8Array, topicDevEui?: string): LorawanUplink {
  const m = parseJson(payload, 'generic uplink')
  const devEui = devEuiOf(m.devEui, 'devEui')
  if (topicDevEui !== undefined && devEui !== topicDevEui.toLowerCase()) throw bad(`devEui ${devEui} does not match the topic's ${topicDevEui}`)
  if (typeof m.fCnt !== 'number') throw bad('generic uplink needs fCnt')
  const fPort = counter(m.fPort, 'fPort')
  if (fPort === 0) throw bad('generic uplink needs fPort 1-223')
  const bytes = payloadBytes(m.payload, 'payload')
  if (bytes.length === 0) throw bad('generic uplink has no payload')
  return { devEui, fCnt: counter(m.fCnt, 'fCnt'), fPort, bytes, time: timeOf(m.time), via: 'generic' }
}
