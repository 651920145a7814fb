import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MimamoriError } from '../../core/errors.js'
import type { CameraImage } from '../../core/types.js'
import { decodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { probeImage } from '../../vision/image.js'
import { imagePath } from '../../store/images.js'
import type { HandlerContext } from './context.js'

/**
 * Accepts a camera frame: size check, envelope, the image header read with
 * sharp (coded errors: empty, not an image, corrupt, gigantic dimensions),
 * then the file on disk before the record (so a record never points at a
 * missing file), then the frame is queued for monkey detection. The promise —
 * and so the MQTT ack — settles only once the frame is stored and queued;
 * while the detection queue is full it waits (back-pressure on the broker).
 */
export async function handleCameraImage (ctx: HandlerContext, cameraId: string, payload: Buffer, receivedAt: number): Promise<'inserted' | 'duplicate'> {
  if (payload.length > ctx.config.ingest.maxImageBytes) {
    throw new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `image of ${payload.length} bytes exceeds ${ctx.config.ingest.maxImageBytes}`)
  }
  const camera = ctx.store.getCamera(cameraId)
  if (camera === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `camera ${cameraId} is not registered`)
  }
  if (camera.state === 'retired') throw new MimamoriError('MIMAMORI_ERR_DEVICE_RETIRED', `camera ${cameraId} is retired`)
  const { meta, image } = decodeCameraEnvelope(payload)
  let info: { format: string, width: number, height: number }
  try {
    info = await probeImage(image, { maxBytes: ctx.config.ingest.maxImageBytes, maxPixels: ctx.config.vision.maxPixels, maxSide: ctx.config.vision.maxSide })
  } catch (err) {
    if (err instanceof MimamoriError) throw new MimamoriError(err.code, `camera ${cameraId}: ${err.message}`, { cause: err, details: err.details })
    throw err
  }
  if (info.format !== 'jpeg') throw new MimamoriError('MIMAMORI_ERR_IMAGE_FORMAT', `camera ${cameraId} sent ${info.format}; the camera topic carries JPEG`)
  const record: CameraImage = {
    cameraId,
    time: Date.parse(meta.capturedAt),
    receivedAt,
    bytes: image.length,
    width: info.width,
    height: info.height,
    burstId: meta.burstId,
    frameIndex: meta.frameIndex,
    batteryV: meta.batteryV ?? null
  }
  const file = imagePath(ctx.config.dataDir, cameraId, record.time, record.frameIndex)
  await mkdir(join(ctx.config.dataDir, 'images', cameraId), { recursive: true })
  await writeFile(file, image)
  const result = await ctx.store.writeCameraImage(record)
  if (result === 'inserted') ctx.bus.emit('cameraImage', { image: record })
  // also on a duplicate: a redelivery after a crash between store and detection is analysed now
  await ctx.wildlife?.accept(record, image, meta.frameCount)
  return result
}
