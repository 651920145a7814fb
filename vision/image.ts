import sharp, { type Metadata, type Sharp } from 'sharp'
import { MimamoriError } from '../core/errors.js'
import type { DecodedImage } from './types.js'

export interface DecodeLimits {
  /** compressed bytes */
  maxBytes: number
  /** width × height; guards against decompression bombs (a 2 MB JPEG can claim 65k × 65k) */
  maxPixels: number
  /** longest side, pixels */
  maxSide: number
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 2_097_152, maxPixels: 40_000_000, maxSide: 16_384 }

const FORMATS = new Set(['jpeg', 'png', 'webp'])

/**
 * Reads only the header: format and size, with coded errors for every way an
 * upload can be unusable. Cheap enough to run before an image is accepted.
 */
export async function probeImage (bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<{ format: string, width: number, height: number }> {
  if (bytes.length === 0) throw new MimamoriError('MIMAMORI_ERR_IMAGE_EMPTY', 'image has no bytes')
  if (bytes.length > limits.maxBytes) {
    throw new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `image of ${bytes.length} bytes exceeds ${limits.maxBytes}`)
  }
  let info: Metadata
  try {
    info = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (err) {
    const msg = (err as Error).message
    if (/unsupported image format|Input buffer contains unsupported/i.test(msg)) {
      throw new MimamoriError('MIMAMORI_ERR_IMAGE_FORMAT', 'not an image (unrecognised format)', { cause: err })
    }
    throw new MimamoriError('MIMAMORI_ERR_IMAGE_CORRUPT', `image header unreadable: ${msg}`, { cause: err })
  }
  if (info.format === undefined || !FORMATS.has(info.format)) {
    throw new MimamoriError('MIMAMORI_ERR_IMAGE_FORMAT', `image format ${String(info.format)} is not accepted (jpeg, png, webp)`)
  }
  const { width, height } = info
  if (width === undefined || height === undefined || width < 1 || height < 1) {
    throw new MimamoriError('MIMAMORI_ERR_IMAGE_CORRUPT', 'image header has no size')
  }
  if (width * height > limits.maxPixels || Math.max(width, height) > limits.maxSide) {
    throw new MimamoriError('MIMAMORI_ERR_IMAGE_DIMENSIONS', `image of ${width}×${height} pixels exceeds the limit (${limits.maxPixels} pixels, ${limits.maxSide} per side)`,
      { details: { width, height } })
  }
  return { format: info.format, width, height }
}

/** Full decode to packed RGB, EXIF orientation applied; truncated or corrupt data is an error, not a grey frame. */
export async function decodeImage (bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<DecodedImage> {
  await probeImage(bytes, limits)
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'truncated' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`)
    return { data, width: info.width, height: info.height }
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_IMAGE_CORRUPT', `image data corrupt: ${(err as Error).message}`, { cause: err })
  }
}

function raw (img: DecodedImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
}

/** ImageNet pre-processing: shorter side to 256, centre crop 224 (loses the outer edges of a 4:3 frame). */
export async function centreCropView (img: DecodedImage, size = 224, shorter = 256): Promise<Buffer> {
  const k = shorter / Math.min(img.width, img.height)
  const w = Math.max(size, Math.round(img.width * k))
  const h = Math.max(size, Math.round(img.height * k))
  return await raw(img).resize({ width: w, height: h, fit: 'fill' })
    .extract({ left: Math.floor((w - size) / 2), top: Math.floor((h - size) / 2), width: size, height: size })
    .raw().toBuffer()
}

/** The whole frame, letterboxed on an ImageNet-mean background: nothing at the edges is lost. */
export async function letterboxView (img: DecodedImage, size = 224): Promise<Buffer> {
  return await raw(img).resize({ width: size, height: size, fit: 'contain', background: { r: 124, g: 116, b: 104 } }).raw().toBuffer()
}

export interface Rect { left: number, top: number, width: number, height: number }

/** A square of `margin` × the box's longer side, centred on the box, clamped into the image. */
export function squareAround (box: { x0: number, y0: number, x1: number, y1: number }, margin: number, width: number, height: number): Rect {
  let side = Math.round(Math.max(box.x1 - box.x0, box.y1 - box.y0) * margin)
  side = Math.max(8, Math.min(side, width, height))
  const cx = (box.x0 + box.x1) / 2
  const cy = (box.y0 + box.y1) / 2
  const left = Math.round(Math.min(Math.max(cx - side / 2, 0), width - side))
  const top = Math.round(Math.min(Math.max(cy - side / 2, 0), height - side))
  return { left, top, width: side, height: side }
}

export async function cropView (img: DecodedImage, rect: Rect, size = 224): Promise<Buffer> {
  return await raw(img).extract(rect).resize({ width: size, height: size, fit: 'fill' }).raw().toBuffer()
}

/** Horizontal mirror of a packed RGB square, for test-time augmentation. */
export function mirror (view: Buffer, size = 224): Buffer {
  const out = Buffer.allocUnsafe(view.length)
  const row = size * 3
  for (let y = 0; y < size; y++) {
    const base = y * row
    for (let x = 0; x < size; x++) {
      const s = base + x * 3
      const d = base + (size - 1 - x) * 3
      out[d] = view[s]!
      out[d + 1] = view[s + 1]!
      out[d + 2] = view[s + 2]!
    }
  }
  return out
}

/** A small JPEG for alerts and the dashboard. */
export async function thumbnail (img: DecodedImage, side = 320): Promise<Buffer> {
  return await raw(img).resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 75 }).toBuffer()
}
