import { createHash } from 'node:crypto'
import exifr from 'exifr'
import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import { MimamoriError, toMimamoriError, type ErrorCode } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { dummyHash, verifySecret } from '../core/secret-hash.js'
import { deviceTopic } from '../core/topics.js'
import type { Camera } from '../core/types.js'
import { encodeCameraEnvelope } from '../codecs/camera-envelope.js'
import type { Store } from '../store/store.js'
import { probeImage } from '../vision/image.js'

/**
 * What the SMTP intake and the HTTP upload share: who the camera is (its secret),
 * whether a message's photos are all usable, and handing them as one burst to the
 * same camera pipeline as our MQTT cameras (the envelope on mmr/v1/camera/{id}/image,
 * through `submit`, ingest's in-process intake: stored, queued for detection, sightings,
 * hunter alerts). Every photo is checked before the first is handed over, so a refused
 * message leaves nothing behind; a message whose hand-over fails part-way is answered
 * "try again", and the camera's resend lands on the same frames (idempotent).
 */
export type PhotoSubmit = (msg: { topic: string, payload: Buffer }) => Promise<void>

export interface IntakeStats {
  accepted: number
  photos: number
  refused: Partial<Record<ErrorCode, number>>
}

export interface Photo { bytes: Buffer, name: string }

export interface PhotoIntake {
  readonly stats: IntakeStats
  /** the trail camera whose secret this is; throws MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA / _AUTH */
  authenticate(cameraId: string, secret: string): Promise<Camera>
  /** all photos or none; resolves with the burst id */
  accept(camera: Camera, photos: Photo[], o: { messageId: string, receivedAt: number, sentAt?: number | undefined, via: 'smtp' | 'http' }): Promise<{ burstId: string, times: number[] }>
  /** counts a refusal and emits `rejected`; returns the coded error */
  refuse(err: unknown, source: string): MimamoriError
}

const JPEG = /^image\/(jpe?g|pjpeg)$/i

export function isPhotoAttachment (contentType: string | undefined, filename: string | undefined): boolean {
  return (contentType !== undefined && JPEG.test(contentType)) || /\.jpe?g$/i.test(filename ?? '')
}

export function createPhotoIntake ({ config, logger, bus, store, submit }: { config: Config, logger: Logger, bus: EventBus, store: Store, submit: PhotoSubmit }): PhotoIntake {
  const log = logger.child({ component: 'intake' })
  const stats: IntakeStats = { accepted: 0, photos: 0, refused: {} }

  /** EXIF DateTimeOriginal (camera clock, config offset) when present and sane, else the mail's date, else arrival */
  async function captureTime (bytes: Buffer, fallback: number, receivedAt: number): Promise<number> {
    try {
      const exif = await exifr.parse(bytes, { pick: ['DateTimeOriginal'], reviveValues: false }) as { DateTimeOriginal?: string } | undefined
      const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(exif?.DateTimeOriginal ?? '')
      if (m !== null) {
        const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${config.intake.exifOffset}`)
        // a camera whose clock was never set says 2000-01-01 or the future: arrival is nearer the truth
        if (Number.isFinite(t) && t <= receivedAt + 5 * 60_000 && t > receivedAt - 45 * 86_400_000) return t
      }
    } catch {
      // no or unreadable EXIF: not a reason to refuse the photo
    }
    return fallback
  }

  return {
    stats,
    async authenticate (cameraId, secret) {
      const camera = store.getCamera(cameraId)
      const hash = camera === undefined ? undefined : store.fleet.intakeSecretHash(cameraId)
      // the same scrypt work whether or not the camera exists
      const ok = await verifySecret(secret, hash ?? await dummyHash())
      if (camera === undefined || hash === undefined) throw new MimamoriError('MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA', `no trail camera "${cameraId}"`)
      if (!ok) throw new MimamoriError('MIMAMORI_ERR_INTAKE_AUTH', `wrong secret for camera "${cameraId}"`)
      if (camera.state === 'retired') throw new MimamoriError('MIMAMORI_ERR_DEVICE_RETIRED', `camera ${cameraId} is retired`)
      return camera
    },
    async accept (camera, photos, o) {
      if (photos.length === 0) throw new MimamoriError('MIMAMORI_ERR_INTAKE_NO_PHOTO', `camera ${camera.id}: the ${o.via === 'smtp' ? 'mail' : 'upload'} carries no JPEG photo`)
      if (photos.length > config.intake.smtp.maxPhotos) throw new MimamoriError('MIMAMORI_ERR_INTAKE_TOO_MANY_PHOTOS', `camera ${camera.id}: ${photos.length} photos, at most ${config.intake.smtp.maxPhotos}`)
      // every photo checked before the first is handed over: all or nothing
      const checked: Array<{ bytes: Buffer, time: number }> = []
      for (const p of photos) {
        if (p.bytes.length > config.ingest.maxImageBytes) throw new MimamoriError('MIMAMORI_ERR_INTAKE_TOO_LARGE', `camera ${camera.id}: photo ${p.name} is ${p.bytes.length} bytes, at most ${config.ingest.maxImageBytes}`)
        const info = await probeImage(p.bytes, { maxBytes: config.ingest.maxImageBytes, maxPixels: config.vision.maxPixels, maxSide: config.vision.maxSide })
        if (info.format !== 'jpeg') throw new MimamoriError('MIMAMORI_ERR_INTAKE_NO_PHOTO', `camera ${camera.id}: ${p.name} is ${info.format}, not a JPEG photo`)
        checked.push({ bytes: p.bytes, time: await captureTime(p.bytes, o.sentAt ?? o.receivedAt, o.receivedAt) })
      }
      // one message = one burst; the same message sent again is the same burst and frames
      const burstId = 'mail-' + createHash('sha256').update(`${camera.id}\n${o.messageId}`).digest('hex').slice(0, 16)
      const times: number[] = []
      for (const [i, c] of checked.entries()) {
        // frames of a burst need distinct times (the image key is camera + time + frame)
        const time = c.time + (times.includes(c.time) ? i : 0)
        times.push(time)
        const payload = encodeCameraEnvelope({ capturedAt: new Date(time).toISOString(), burstId, frameIndex: i, frameCount: checked.length }, c.bytes)
        await submit({ topic: deviceTopic('camera', camera.id, 'image'), payload })
      }
      stats.accepted++
      stats.photos += checked.length
      log.info({ camera: camera.id, photos: checked.length, burstId, via: o.via }, 'trail camera photos accepted')
      return { burstId, times }
    },
    refuse (err, source) {
      const e = toMimamoriError(err)
      stats.refused[e.code] = (stats.refused[e.code] ?? 0) + 1
      bus.emit('rejected', { code: e.code, source, message: e.message, time: Date.now() })
      log.warn({ code: e.code, source, err: e.message }, 'trail camera input refused')
      return e
    }
  }
}
