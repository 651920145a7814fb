import { MimamoriError } from '../core/errors.js'

/**
 * Gauge frame v1: 11 bytes, big-endian, fits LoRaWAN AS923 DR2. The layout is
 * specified in docs/payload.md; this file is the reference implementation for
 * the device side (encodeUplink, decodeDownlink) and the server side
 * (decodeUplink, encodeDownlink), following the ChirpStack / TTN codec shape.
 */
export const FRAME_V1_LENGTH = 11
export const UPLINK_FPORT = 1
export const DOWNLINK_FPORT = 10
export const MAX_DOWNLINK_BYTES = 11

export const FRAME_TYPES = ['measurement', 'heartbeat', 'boot'] as const
export type FrameType = typeof FRAME_TYPES[number]
export const MODES = ['watch', 'observe', 'maintenance'] as const
/** watch = 監視 (calm, rare reports), observe = 観測 (every few minutes), maintenance = 保守 */
export type GaugeMode = typeof MODES[number]

/** Device-side flag bits (byte 3); names are what the decoder reports. */
export const DEVICE_FLAGS = {
  fewValidPings: 0x01,
  highSpread: 0x02,
  echoesRejected: 0x04,
  lowBattery: 0x08,
  clockUnsynced: 0x10,
  sensorError: 0x20,
  backlog: 0x40
} as const
export type DeviceFlagName = keyof typeof DEVICE_FLAGS

const LEVEL_MISSING = -32768
const BATTERY_UNKNOWN = 0xff
const TEMP_UNKNOWN = -128
/** a device clock this far ahead of the server is still accepted (minutes) */
const CLOCK_SKEW_MIN = 5
const TIME_TAG_MODULO = 65536

export interface GaugeUplinkData {
  version: 1
  type: FrameType
  mode: GaugeMode
  /** metres relative to gauge zero, 1 mm steps; null when no valid ping */
  levelM: number | null
  flags: DeviceFlagName[]
  flagBits: number
  batteryV: number | null
  temperatureC: number | null
  /** robust spread of the accepted pings (1.4826·MAD), mm; 255 = 255 or more */
  spreadMm: number | null
  validPings: number
  totalPings: number
  /** minutes since the Unix epoch, modulo 65536 */
  timeTag: number
  /** ISO time resolved from timeTag against recvTime, when recvTime is given */
  time?: string
}

export interface DecodeInput {
  bytes: ArrayLike<number>
  fPort: number
  /** arrival time; needed to resolve the 16-bit minute tag into an absolute time */
  recvTime?: Date
}

export type DecodeResult<T> = { data: T, errors?: never, warnings?: string[] } | { errors: string[], data?: never }

/** ChirpStack-style entry point: never throws, returns `{ errors }` instead. */
export function decodeUplink (input: DecodeInput): DecodeResult<GaugeUplinkData> {
  try {
    return { data: decodeGaugeFrame(input) }
  } catch (err) {
    if (err instanceof MimamoriError) return { errors: [`${err.code}: ${err.message}`] }
    throw err
  }
}

/** Throwing variant used by ingest, so the error code survives for counting. */
export function decodeGaugeFrame ({ bytes, fPort, recvTime }: DecodeInput): GaugeUplinkData {
  const f = readGaugeFrame(bytes, fPort)
  const data: GaugeUplinkData = {
    version: 1,
    type: f.type,
    mode: f.mode,
    levelM: f.levelM,
    flags: flagNames(f.flagBits),
    flagBits: f.flagBits,
    batteryV: f.batteryV,
    temperatureC: f.temperatureC,
    spreadMm: f.spreadMm,
    validPings: f.validPings,
    totalPings: f.totalPings,
    timeTag: f.timeTag
  }
  if (recvTime !== undefined) data.time = new Date(resolveTimeTag(f.timeTag, recvTime.getTime())).toISOString()
  return data
}

/** The frame's values as decodeGaugeFrame reports them, less the flag names and the resolved time. */
export type GaugeFrameFields = Omit<GaugeUplinkData, 'version' | 'flags' | 'time'>

const FLAG_NAMES = Object.keys(DEVICE_FLAGS) as DeviceFlagName[]
export function flagNames (flagBits: number): DeviceFlagName[] {
  return FLAG_NAMES.filter(name => (flagBits & DEVICE_FLAGS[name]) !== 0)
}

/**
 * Validates and reads one frame v1, throwing the same coded errors as decodeGaugeFrame.
 * Ingest's per-reading path: no copy of a Uint8Array input, no flag-name array, no
 * ISO time string (the caller resolves the time tag to milliseconds itself).
 */
export function readGaugeFrame (bytes: ArrayLike<number>, fPort: number): GaugeFrameFields {
  if (fPort !== UPLINK_FPORT) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `fPort ${fPort} is not a gauge uplink port (expected ${UPLINK_FPORT})`)
  }
  if (bytes.length === 0) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'empty frame')
  // a plain array is wrapped to bytes as before (Uint8Array.from); a Buffer is read in place
  const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)
  const version = b[0]! >> 4
  if (version !== 1) {
    throw new MimamoriError('MIMAMORI_ERR_UNSUPPORTED_VERSION', `frame version ${version} is not supported (this decoder reads version 1)`)
  }
  if (b.length !== FRAME_V1_LENGTH) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `frame v1 must be ${FRAME_V1_LENGTH} bytes, got ${b.length}`)
  }
  const type = FRAME_TYPES[(b[0]! >> 2) & 0x03]
  if (type === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'reserved frame type 3')
  const mode = MODES[b[0]! & 0x03]
  if (mode === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'reserved mode 3')

  // big-endian int16 / int8 / uint16, as DataView reads them
  const levelMm = ((b[1]! << 8) | b[2]!) << 16 >> 16
  const flagBits = b[3]!
  if ((flagBits & 0x80) !== 0) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'reserved flag bit 7 is set')
  const battery = b[4]!
  const temp = b[5]! << 24 >> 24
  const spread = b[6]!
  const validPings = b[7]!
  const totalPings = b[8]!
  if (validPings > totalPings) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `valid pings (${validPings}) exceed total pings (${totalPings})`)
  }
  const levelMissing = levelMm === LEVEL_MISSING
  if (type === 'measurement' && !levelMissing && validPings === 0) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'measurement carries a level but no valid pings')
  }
  return {
    type,
    mode,
    levelM: levelMissing ? null : levelMm / 1000,
    flagBits,
    batteryV: battery === BATTERY_UNKNOWN ? null : round2(2 + battery / 100),
    temperatureC: temp === TEMP_UNKNOWN ? null : temp,
    spreadMm: spread,
    validPings,
    totalPings,
    timeTag: (b[9]! << 8) | b[10]!
  }
}

/**
 * The frame carries only minutes mod 65536 (45.5 days). The observation is the
 * latest minute with that tag not after arrival (plus a small allowance for a
 * device clock running ahead); store-and-forward backlogs are far shorter.
 */
export function resolveTimeTag (timeTag: number, receivedAtMs: number): number {
  const recvMin = Math.floor(receivedAtMs / 60_000)
  let minutes = recvMin - mod(recvMin - timeTag, TIME_TAG_MODULO)
  // >= so that a clock exactly CLOCK_SKEW_MIN ahead is still accepted, as documented
  if (recvMin - minutes >= TIME_TAG_MODULO - CLOCK_SKEW_MIN) minutes += TIME_TAG_MODULO
  return minutes * 60_000
}

export function timeTagOf (timeMs: number): number {
  return mod(Math.floor(timeMs / 60_000), TIME_TAG_MODULO)
}

export interface GaugeUplinkInput {
  type?: FrameType
  mode: GaugeMode
  levelM: number | null
  flags?: DeviceFlagName[]
  batteryV: number | null
  temperatureC: number | null
  spreadMm: number | null
  validPings: number
  totalPings: number
  /** observation time in ms since epoch */
  time: number
}

/** Device side: build the 11-byte frame. Out-of-range values are clamped where the frame defines a ceiling. */
export function encodeUplink (d: GaugeUplinkInput): Uint8Array {
  const out = new Uint8Array(FRAME_V1_LENGTH)
  const view = new DataView(out.buffer)
  const type = FRAME_TYPES.indexOf(d.type ?? 'measurement')
  const mode = MODES.indexOf(d.mode)
  if (type < 0 || mode < 0) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `unknown frame type or mode: ${String(d.type)}/${String(d.mode)}`)
  out[0] = (1 << 4) | (type << 2) | mode
  let levelMm = LEVEL_MISSING
  if (d.levelM !== null) {
    levelMm = Math.round(d.levelM * 1000)
    // NaN would otherwise be written as 0 mm, a plausible but false level
    if (!Number.isFinite(levelMm) || levelMm <= LEVEL_MISSING || levelMm > 32767) {
      throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `level ${d.levelM} m is outside the frame range ±32.767 m`)
    }
  }
  view.setInt16(1, levelMm)
  let flagBits = 0
  for (const name of d.flags ?? []) flagBits |= DEVICE_FLAGS[name]
  out[3] = flagBits
  out[4] = d.batteryV === null ? BATTERY_UNKNOWN : clamp(Math.round((d.batteryV - 2) * 100), 0, 254)
  view.setInt8(5, d.temperatureC === null ? TEMP_UNKNOWN : clamp(Math.round(d.temperatureC), -127, 127))
  out[6] = d.spreadMm === null ? 255 : clamp(Math.round(d.spreadMm), 0, 255)
  out[7] = clamp(d.validPings, 0, 255)
  out[8] = clamp(d.totalPings, 0, 255)
  if (out[7]! > out[8]!) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'valid pings exceed total pings')
  // mirrors the decoder's rule, so the device never sends a frame the server drops
  if (FRAME_TYPES[type] === 'measurement' && levelMm !== LEVEL_MISSING && out[7] === 0) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', 'measurement carries a level but no valid pings (send levelM null)')
  }
  view.setUint16(9, timeTagOf(d.time))
  return out
}

/** Downlink (fPort 10): header 0x10 then tag-value items, so a downlink changes only what it names. */
export interface GaugeDownlinkData {
  mode?: GaugeMode
  /** 観測 mode reporting interval, minutes (1..255) */
  observeIntervalMin?: number
  /** 監視 mode heartbeat, hours (1..255) */
  heartbeatHours?: number
  /** 観測開始水位 in metres on the gauge datum */
  observationStartM?: number
}

const DL_TAG = { mode: 0x01, observeIntervalMin: 0x02, heartbeatHours: 0x03, observationStartM: 0x04 } as const

export function encodeDownlink ({ data }: { data: GaugeDownlinkData }): { bytes: number[], fPort: number } | { errors: string[] } {
  const bytes: number[] = [0x10]
  const errors: string[] = []
  if (data.mode !== undefined) {
    const m = MODES.indexOf(data.mode)
    if (m < 0) errors.push(`unknown mode ${String(data.mode)}`)
    else bytes.push(DL_TAG.mode, m)
  }
  for (const key of ['observeIntervalMin', 'heartbeatHours'] as const) {
    const v = data[key]
    if (v === undefined) continue
    if (!Number.isInteger(v) || v < 1 || v > 255) errors.push(`${key} must be an integer 1..255`)
    else bytes.push(DL_TAG[key], v)
  }
  if (data.observationStartM !== undefined) {
    const mm = Math.round(data.observationStartM * 1000)
    if (!Number.isFinite(mm) || mm <= LEVEL_MISSING || mm > 32767) errors.push('observationStartM is outside ±32.767 m')
    else bytes.push(DL_TAG.observationStartM, (mm >> 8) & 0xff, mm & 0xff)
  }
  if (bytes.length === 1) errors.push('downlink names no setting')
  if (bytes.length > MAX_DOWNLINK_BYTES) errors.push(`downlink is ${bytes.length} bytes, limit ${MAX_DOWNLINK_BYTES}`)
  return errors.length > 0 ? { errors } : { bytes, fPort: DOWNLINK_FPORT }
}

export function decodeDownlink ({ bytes, fPort }: DecodeInput): DecodeResult<GaugeDownlinkData> {
  if (fPort !== DOWNLINK_FPORT) return { errors: [`fPort ${fPort} is not the downlink port ${DOWNLINK_FPORT}`] }
  const b = Uint8Array.from(bytes)
  if (b.length < 3 || b[0] !== 0x10) return { errors: ['downlink must start with header 0x10 and name one setting'] }
  const data: GaugeDownlinkData = {}
  let i = 1
  while (i < b.length) {
    const tag = b[i]!
    const need = tag === DL_TAG.observationStartM ? 2 : 1
    if (i + need > b.length - 1) return { errors: [`truncated item 0x${tag.toString(16)}`] }
    const v = b[i + 1]!
    switch (tag) {
      case DL_TAG.mode: {
        const m = MODES[v]
        if (m === undefined) return { errors: [`unknown mode ${v}`] }
        data.mode = m
        break
      }
      // 0 is outside the encoder's 1..255 and would make the device report without pause
      case DL_TAG.observeIntervalMin:
        if (v === 0) return { errors: ['observeIntervalMin must be an integer 1..255'] }
        data.observeIntervalMin = v
        break
      case DL_TAG.heartbeatHours:
        if (v === 0) return { errors: ['heartbeatHours must be an integer 1..255'] }
        data.heartbeatHours = v
        break
      case DL_TAG.observationStartM: {
        const raw = (v << 8) | b[i + 2]!
        data.observationStartM = (raw >= 0x8000 ? raw - 0x10000 : raw) / 1000
        break
      }
      default: return { errors: [`unknown downlink tag 0x${tag.toString(16)}`] }
    }
    i += 1 + need
  }
  return { data }
}

function clamp (v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}

function mod (a: number, n: number): number {
  return ((a % n) + n) % n
}

function round2 (v: number): number {
  return Math.round(v * 100) / 100
}
