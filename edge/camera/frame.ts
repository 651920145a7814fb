import sharp from 'sharp'
import type { Config } from '../../core/config/schema.js'
import type { Rng } from '../../core/random.js'

export interface JpegOptions {
  /** longest side after resize, pixels */
  maxSide: number
  /** JPEG quality 1..100 */
  quality: number
}

/** the `sim.camera` defaults, for callers without a configuration (test/unit/vision-accuracy.test.ts holds them equal) */
export const DEFAULT_JPEG: JpegOptions = { maxSide: 1280, quality: 80 }

export function jpegOptionsFrom (config: Config): JpegOptions {
  return { maxSide: config.sim.camera.maxSide, quality: config.sim.camera.jpegQuality }
}

/** Resize to the configured longest side and JPEG-encode, as the camera does before upload. */
export async function toUploadJpeg (input: Buffer, o: JpegOptions = DEFAULT_JPEG): Promise<Buffer> {
  return await sharp(input)
    .rotate() // apply EXIF orientation before the tags are dropped
    .resize({ width: o.maxSide, height: o.maxSide, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: o.quality, mozjpeg: false })
    .toBuffer()
}

/** An animal in a generated frame: centre as fractions of the frame, radius as a fraction of its height. */
export interface SyntheticSubject { x: number, y: number, r: number }

/**
 * Stand-in for the image sensor when no image folder is configured: a field
 * scene (sky, tree line, crop rows) with per-frame sensor noise, so bursts
 * differ frame to frame like a real capture. With a subject, a dark-brown
 * body is drawn where the scene puts the visiting animal, so the frames of a
 * burst differ where it moves, as the motion stage expects.
 */
export async function syntheticFieldFrame (rng: Rng, width = 640, height = 480, subject?: SyntheticSubject): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3)
  // a fixed horizon: one drawn per frame would make the whole frame "move" between shots of a burst
  const horizon = Math.floor(height * 0.37)
  const sx = (subject?.x ?? 0) * width
  const sy = (subject?.y ?? 0) * height
  const sr = (subject?.r ?? 0) * height
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const n = (rng.next() - 0.5) * 18
      if (subject !== undefined && ((x - sx) / 1.4) ** 2 + (y - sy) ** 2 < sr * sr) {
        raw[i] = 92 + n; raw[i + 1] = 66 + n; raw[i + 2] = 48 + n
      } else if (y < horizon) {
        raw[i] = 150 + n; raw[i + 1] = 190 + n; raw[i + 2] = 230 + n
      } else if (y < horizon + 40 + 10 * Math.sin(x / 37)) {
        raw[i] = 40 + n; raw[i + 1] = 90 + n; raw[i + 2] = 45 + n
      } else {
        const row = Math.sin(x / 9 + y / 40) > 0 ? 20 : 0
        raw[i] = 95 + row + n; raw[i + 1] = 130 + row + n; raw[i + 2] = 60 + n
      }
    }
  }
  return await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer()
}
