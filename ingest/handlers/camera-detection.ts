import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MimamoriError } from '../../core/errors.js'
import type { Detection } from '../../core/types.js'
import { decodeCameraDetection } from '../../codecs/camera-detection.js'
import { probeImage } from '../../vision/image.js'
import { thumbnailPath } from '../wildlife/index.js'
import type { HandlerContext } from './context.js'

/** longest side accepted for an on-device thumbnail, px (cameras send 160 by default) */
const MAX_THUMBNAIL_SIDE = 640

/**
 * Accepts an on-device detection message (`mmr/v1/camera/{id}/detection`,
 * edge/camera/on-device.ts): the camera ran the model, so only its per-frame
 * verdicts and the best frame's thumbnail arrive. The thumbnail is checked
 * with sharp and written first, then the detections go through the same
 * store → vote → cooldown → alert path as frames analysed here. The MQTT ack
 * waits for that, so a crash in between means a redelivery, which skips the
 * frames already recorded. Works with server-side detection disabled.
 */
export async function handleCameraDetection (ctx: HandlerContext, cameraId: string, payload: Buffer): Promise<'inserted' | 'duplicate'> {
  if (payload.length > ctx.config.ingest.maxImageBytes) {
    throw new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `detection message of ${payload.length} bytes exceeds ${ctx.config.ingest.maxImageBytes}`)
  }
  if (ctx.store.getCamera(cameraId) === undefined) throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `camera ${cameraId} is not registered`)
  if (ctx.wildlife === undefined) throw new MimamoriError('MIMAMORI_ERR_INTERNAL', 'wildlife rules are not running in this process')
  const { meta, thumbnail } = decodeCameraDetection(payload)
  let thumbRel: string | null = null
  const thumbFrame = meta.frames.find(f => f.frameIndex === meta.thumbnailFrame)
  if (thumbnail !== null && thumbFrame !== undefined) {
    let info: { format: string, width: number, height: number }
    try {
      info = await probeImage(thumbnail, { maxBytes: ctx.config.ingest.maxImageBytes, maxPixels: MAX_THUMBNAIL_SIDE * MAX_THUMBNAIL_SIDE, maxSide: MAX_THUMBNAIL_SIDE })
    } catch (err) {
      if (err instanceof MimamoriError) throw new MimamoriError(err.code, `camera ${cameraId} thumbnail: ${err.message}`, { cause: err, details: err.details })
      throw err
    }
    if (info.format !== 'jpeg') throw new MimamoriError('MIMAMORI_ERR_IMAGE_FORMAT', `camera ${cameraId} sent a ${info.format} thumbnail; JPEG expected`)
    const time = Date.parse(thumbFrame.capturedAt)
    await mkdir(join(ctx.config.dataDir, 'thumbnails', cameraId), { recursive: true })
    await writeFile(thumbnailPath(ctx.config.dataDir, cameraId, time, thumbFrame.frameIndex), thumbnail)
    thumbRel = `thumbnails/${cameraId}/${time}-${thumbFrame.frameIndex}.jpg`
  }
  const detections: Detection[] = meta.frames.map(f => ({
    cameraId,
    time: Date.parse(f.capturedAt),
    frameIndex: f.frameIndex,
    burstId: meta.burstId,
    frameCount: meta.frameCount,
    positive: f.positive,
    score: f.score,
    label: f.label,
    via: f.via,
    // the camera sends only the best crop's score, not its boxes (bytes on a metered link)
    boxes: [],
    thumbnail: f.frameIndex === meta.thumbnailFrame ? thumbRel : null,
    errorCode: f.errorCode ?? null
  }))
  const fresh = await ctx.wildlife.acceptDetections(detections)
  return fresh > 0 ? 'inserted' : 'duplicate'
}
