import { MimamoriError } from '../core/errors.js'
import { decodeJsonHead, encodeJsonHead } from './json-head.js'

/**
 * Camera image envelope on `mmr/v1/camera/{id}/image`: a 2-byte big-endian
 * length, that many bytes of UTF-8 JSON metadata, then the JPEG. One message
 * carries both, so metadata can never be paired with the wrong image.
 */
export interface CameraMeta {
  /** ISO 8601 capture time */
  capturedAt: string
  burstId: string
  frameIndex: number
  frameCount: number
  batteryV?: number | null
  /**
   * Where the camera says it is (its GPS fix), WGS 84 degrees; both or neither.
   * Information only: the position registered in `cameras[]` stays authoritative.
   */
  lat?: number | null
  lon?: number | null
}

const MAX_META_BYTES = 4096

export function encodeCameraEnvelope (meta: CameraMeta, jpeg: Uint8Array): Buffer {
  return encodeJsonHead('camera', meta, MAX_META_BYTES, jpeg)
}

export function decodeCameraEnvelope (payload: Buffer): { meta: CameraMeta, image: Buffer } {
  const { raw, body } = decodeJsonHead('camera', payload, MAX_META_BYTES, true)
  return { meta: checkMeta(raw), image: body }
}

function checkMeta (raw: unknown): CameraMeta {
  if (raw === null || typeof raw !== 'object') throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'camera metadata must be an object')
  const m = raw as Record<string, unknown>
  const problems: string[] = []
  if (typeof m.capturedAt !== 'string' || Number.isNaN(Date.parse(m.capturedAt))) problems.push('capturedAt must be an ISO time')
  if (typeof m.burstId !== 'string' || m.burstId.length === 0 || m.burstId.length > 64) problems.push('burstId must be a string of 1..64 chars')
  if (!Number.isInteger(m.frameIndex) || (m.frameIndex as number) < 0 || (m.frameIndex as number) > 255) problems.push('frameIndex must be an integer 0..255')
  if (!Number.isInteger(m.frameCount) || (m.frameCount as number) < 1 || (m.frameCount as number) > 256) problems.push('frameCount must be an integer 1..256')
  // a frame outside its burst would keep the burst vote waiting for a sibling that never comes
  if (Number.isInteger(m.frameIndex) && Number.isInteger(m.frameCount) && (m.frameIndex as number) >= (m.frameCount as number)) problems.push('frameIndex must be below frameCount')
  if (m.batteryV !== undefined && m.batteryV !== null && typeof m.batteryV !== 'number') problems.push('batteryV must be a number')
  const location = checkLocation(m, problems)
  if (problems.length > 0) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `camera metadata: ${problems.join('; ')}`)
  return {
    capturedAt: m.capturedAt as string,
    burstId: m.burstId as string,
    frameIndex: m.frameIndex as number,
    frameCount: m.frameCount as number,
    batteryV: (m.batteryV as number | null | undefined) ?? null,
    ...location
  }
}

const absent = (v: unknown): boolean => v === undefined || v === null

/**
 * Optional `lat`/`lon` of camera messages (image envelope and on-device
 * detection): both or neither, finite degrees in range. A camera without a
 * GPS fix omits them (or sends null); (0, 0) is accepted as a real place.
 */
export function checkLocation (m: Record<string, unknown>, problems: string[]): { lat: number | null, lon: number | null } {
  if (absent(m.lat) && absent(m.lon)) return { lat: null, lon: null }
  const before = problems.length
  if (absent(m.lat) || absent(m.lon)) problems.push('lat and lon come together')
  else {
    if (typeof m.lat !== 'number' || !Number.isFinite(m.lat) || m.lat < -90 || m.lat > 90) problems.push('lat must be a number -90..90')
    if (typeof m.lon !== 'number' || !Number.isFinite(m.lon) || m.lon < -180 || m.lon > 180) problems.push('lon must be a number -180..180')
  }
  return problems.length === before ? { lat: m.lat as number, lon: m.lon as number } : { lat: null, lon: null }
}
