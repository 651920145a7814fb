import sharp from 'sharp'
import type { Rng } from '../../core/random.js'

export interface JpegOptions {
  /** longest side after resize, pixels */
  maxSide: number
  /** JPEG quality 1..100 */
  quality: number
}

export const DEFAULT_JPEG: JpegOptions = { maxSide: 1280, quality: 80 }

/** Resize to the configured longest side and JPEG-encode, as the camera does before upload. */
export async function toUploadJpeg (input: Buffer, o: JpegOptions = DEFAULT_JPEG): Promise<Buffer> {
  return await sharp(input)
    .rotate() // apply EXIF orientation before the tags are dropped
    .resize({ width: o.maxSide, height: o.maxSide, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: o.quality, mozjpeg: false })
    .toBuffer()
}

/**
 * Stand-in for the image sensor when no image folder is configured: a field
 * scene (sky, tree line, crop rows) with per-frame sensor noise, so bursts
 * differ frame to frame like a real capture.
 */
export async function syntheticFieldFrame (rng: Rng, width = 640, height = 480): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3)
  const horizon = Math.floor(height * (0.35 + 0.05 * rng.next()))
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const n = (rng.next() - 0.5) * 18
      if (y < horizon) {
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
