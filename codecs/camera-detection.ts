import { MimamoriError } from '../core/errors.js'
import { decodeJsonHead, encodeJsonHead } from './json-head.js'
import { checkLocation } from './camera-envelope.js'

/**
 * On-device detection message on `mmr/v1/camera/{id}/detection` (cameras on
 * metered links, edge/camera/on-device.ts): one message per burst with every
 * frame's result, followed by the thumbnail of the best positive frame (none
 * when the burst is negative). Framing as the image envelope: a 2-byte
 * big-endian length, that many bytes of UTF-8 JSON, then the JPEG (may be empty).
 */
export interface DetectionFrame {
  frameIndex: number
  /** ISO 8601 capture time of this frame */
  capturedAt: string
  positive: boolean
  /** monkey evidence 0..1 */
  score: number
  label: string
  /** deciding stage: whole | fullFrame | crop | none | error */
  via: string
  /** best crop / motion-region score, 0 when none */
  bestCrop?: number
  errorCode?: string | null
}

export interface CameraDetectionMeta {
  burstId: string
  frameCount: number
  /** the model that ran on the camera */
  model: string
  /** frame whose thumbnail follows the JSON; null when none does */
  thumbnailFrame: number | null
  frames: DetectionFrame[]
  batteryV?: number | null
  /** the camera's own position (GPS), WGS 84 degrees, both or neither; information only, as in the image envelope */
  lat?: number | null
  lon?: number | null
}

const MAX_META_BYTES = 16_384

export function encodeCameraDetection (meta: CameraDetectionMeta, thumbnail: Uint8Array | null): Buffer {
  return encodeJsonHead('detection', meta, MAX_META_BYTES, thumbnail ?? new Uint8Array(0))
}

export function decodeCameraDetection (payload: Buffer): { meta: CameraDetectionMeta, thumbnail: Buffer | null } {
  const { raw, body: thumb } = decodeJsonHead('detection', payload, MAX_META_BYTES, false)
  const meta = check(raw)
  if (meta.thumbnailFrame !== null && thumb.length === 0) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'detection names a thumbnail frame but carries no thumbnail')
  return { meta, thumbnail: thumb.length === 0 ? null : thumb }
}

const int = (v: unknown, min: number, max: number): boolean => Number.isInteger(v) && (v as number) >= min && (v as number) <= max
const unit = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1

function check (raw: unknown): CameraDetectionMeta {
  if (raw === null || typeof raw !== 'object') throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'detection metadata must be an object')
  const m = raw as Record<string, unknown>
  const problems: string[] = []
  if (typeof m.burstId !== 'string' || m.burstId.length === 0 || m.burstId.length > 64) problems.push('burstId must be a string of 1..64 chars')
  if (!int(m.frameCount, 1, 256)) problems.push('frameCount must be an integer 1..256')
  if (typeof m.model !== 'string' || m.model.length > 200) problems.push('model must be a string')
  if (m.thumbnailFrame !== null && !int(m.thumbnailFrame, 0, 255)) problems.push('thumbnailFrame must be a frame index or null')
  if (m.batteryV !== undefined && m.batteryV !== null && typeof m.batteryV !== 'number') problems.push('batteryV must be a number')
  const location = checkLocation(m, problems)
  const frames: DetectionFrame[] = []
  if (!Array.isArray(m.frames) || m.frames.length === 0 || m.frames.length > 256) problems.push('frames must be a non-empty array')
  else {
    for (const [i, f] of (m.frames as unknown[]).entries()) {
      const x = (f ?? {}) as Record<string, unknown>
      const bad = !int(x.frameIndex, 0, 255) || typeof x.capturedAt !== 'string' || Number.isNaN(Date.parse(x.capturedAt)) ||
        typeof x.positive !== 'boolean' || !unit(x.score) || typeof x.label !== 'string' || x.label.length > 200 ||
        typeof x.via !== 'string' || x.via.length > 32 || (x.bestCrop !== undefined && !unit(x.bestCrop)) ||
        (x.errorCode !== undefined && x.errorCode !== null && typeof x.errorCode !== 'string')
      if (bad) { problems.push(`frames[${i}] is malformed`); continue }
      frames.push({
        frameIndex: x.frameIndex as number,
        capturedAt: x.capturedAt as string,
        positive: x.positive as boolean,
        score: x.score as number,
        label: x.label as string,
        via: x.via as string,
        bestCrop: (x.bestCrop as number | undefined) ?? 0,
        errorCode: (x.errorCode as string | null | undefined) ?? null
      })
    }
    if (new Set(frames.map(f => f.frameIndex)).size !== frames.length) problems.push('frame indexes repeat')
    if (frames.some(f => f.frameIndex >= (m.frameCount as number))) problems.push('a frame index is not below frameCount')
    if (m.thumbnailFrame !== null && int(m.thumbnailFrame, 0, 255) && !frames.some(f => f.frameIndex === m.thumbnailFrame)) problems.push('thumbnailFrame is not one of the frames')
  }
  if (problems.length > 0) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `detection metadata: ${problems.join('; ')}`)
  return {
    burstId: m.burstId as string,
    frameCount: m.frameCount as number,
    model: m.model as string,
    thumbnailFrame: m.thumbnailFrame as number | null,
    frames,
    batteryV: (m.batteryV as number | null | undefined) ?? null,
    ...location
  }
}
