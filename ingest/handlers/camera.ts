import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { MimamoriError } from '../../core/errors.js'
import type { CameraImage } from '../../core/types.js'
import { decodeCameraEnvelope } from '../codecs/camera-envelope.js'
import type { HandlerContext } from './context.js'

/** Decompression-bomb guard: a 2 MB JPEG can claim 65k×65k pixels. */
const MAX_INPUT_PIXELS = 40_000_000

export function imagePath (dataDir: string, cameraId: string, time: number, frameIndex: number): string {
  return join(dataDir, 'images', cameraId, `${time}-${frameIndex}.jpg`)
}

/**
 * Accepts a camera frame: size check, envelope, a real JPEG decode of the
 * header with sharp, then the file on disk before the record (so a record
 * never points at a missing file). Detection is the wildlife pipeline's job.
 */
export async function handleCameraImage (ctx: HandlerContext, cameraId: string, payload: Buffer, receivedAt: number): Promise<'inserted' | 'duplicate'> {
  if (payload.length > ctx.config.ingest.maxImageBytes) {
    throw new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `image of ${payload.length} bytes exceeds ${ctx.config.ingest.maxImageBytes}`)
  }
  if (ctx.store.getCamera(cameraId) === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `camera ${cameraId} is not registered`)
  }
  const { meta, image } = decodeCameraEnvelope(payload)
  let width: number
  let height: number
  try {
    const info = await sharp(image, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).metadata()
    if (info.format !== 'jpeg' || info.width === undefined || info.height === undefined) throw new Error(`format ${String(info.format)}`)
    width = info.width
    height = info.height
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `camera ${cameraId} sent an unreadable image: ${(err as Error).message}`, { cause: err })
  }
  const record: CameraImage = {
    cameraId,
    time: Date.parse(meta.capturedAt),
    receivedAt,
    bytes: image.length,
    width,
    height,
    burstId: meta.burstId,
    frameIndex: meta.frameIndex,
    batteryV: meta.batteryV ?? null
  }
  const file = imagePath(ctx.config.dataDir, cameraId, record.time, record.frameIndex)
  await mkdir(join(ctx.config.dataDir, 'images', cameraId), { recursive: true })
  await writeFile(file, image)
  const result = await ctx.store.writeCameraImage(record)
  if (result === 'inserted') ctx.bus.emit('cameraImage', { image: record })
  return result
}
