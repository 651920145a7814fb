import sharp from 'sharp'
import type { DecodedImage } from './types.js'

/**
 * Motion regions from the frames of one burst. A camera is motion-triggered
 * and fires 3–5 frames within a second or two from a fixed mount, so what
 * moved is what differs from the burst's own background: the per-pixel median
 * of its downscaled grey frames (with 3+ frames a moving animal is at each
 * pixel in at most a minority of them, so the median is the empty scene).
 * Changed pixels → dilated mask → 8-connected regions → boxes in original
 * pixels, used as extra crops for the classifier and to decide which frames
 * are worth the detector.
 */

export interface GreyFrame {
  /** 8-bit luminance, width × height */
  data: Uint8Array
  width: number
  height: number
  /** size of the frame it was made from (boxes are returned in these pixels) */
  srcWidth: number
  srcHeight: number
}

export interface MotionOptions {
  /** grey levels a pixel must differ from the burst background by (after exposure compensation) */
  threshold: number
  /** smallest region kept, as a fraction of the frame */
  minArea: number
  /** above this fraction of changed pixels the frame is a scene/exposure change, not motion */
  maxChanged: number
  /** at most this many regions per frame, largest first */
  maxRegions: number
  /** long side of the grey frames */
  side: number
}

export const DEFAULT_MOTION_OPTIONS: MotionOptions = { threshold: 28, minArea: 0.0015, maxChanged: 0.35, maxRegions: 4, side: 192 }

export interface MotionRegion {
  x0: number
  y0: number
  x1: number
  y1: number
  /** changed pixels in the region as a fraction of the frame */
  area: number
}

export interface BurstMotion {
  /**
   * false when the frames cannot be compared (fewer than 2, different sizes) or
   * a frame changed almost everywhere (light, a shaken camera): the burst then
   * gives no motion evidence and callers treat each frame on its own
   */
  usable: boolean
  /** per frame, in the order given */
  regions: MotionRegion[][]
  /** per frame: fraction of pixels that differ from the background */
  changed: number[]
}

/** Downscaled grey frame (one sharp resize) for differencing. */
export async function greyFrame (img: DecodedImage, side = DEFAULT_MOTION_OPTIONS.side): Promise<GreyFrame> {
  const k = Math.min(1, side / Math.max(img.width, img.height))
  const width = Math.max(1, Math.round(img.width * k))
  const height = Math.max(1, Math.round(img.height * k))
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width, height, fit: 'fill' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 1) throw new Error(`grey frame has ${info.channels} channels`)
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, srcWidth: img.width, srcHeight: img.height }
}

export function burstMotion (frames: GreyFrame[], o: MotionOptions = DEFAULT_MOTION_OPTIONS): BurstMotion {
  const none: BurstMotion = { usable: false, regions: frames.map(() => []), changed: frames.map(() => 0) }
  if (frames.length < 2) return none
  const f0 = frames[0]!
  if (frames.some(f => f.width !== f0.width || f.height !== f0.height || f.srcWidth !== f0.srcWidth || f.srcHeight !== f0.srcHeight)) return none
  const n = f0.width * f0.height
  const bg = background(frames)
  const out: BurstMotion = { usable: true, regions: [], changed: [] }
  for (const f of frames) {
    // exposure compensation: the median signed difference is the global brightness shift
    const shift = medianShift(f.data, bg)
    const mask = new Uint8Array(n)
    let changed = 0
    for (let i = 0; i < n; i++) {
      if (Math.abs(f.data[i]! - bg[i]! - shift) > o.threshold) { mask[i] = 1; changed++ }
    }
    const frac = changed / n
    out.changed.push(frac)
    if (frac > o.maxChanged) { out.usable = false; out.regions.push([]); continue }
    const regions = components(open(mask, f.width, f.height), f.width, f.height)
      .filter(r => r.count / n >= o.minArea)
      .sort((a, b) => b.count - a.count)
      .slice(0, o.maxRegions)
    const sx = f.srcWidth / f.width
    const sy = f.srcHeight / f.height
    // bounds without the dilation margin: the changed pixels themselves
    out.regions.push(regions.map(r => ({
      x0: Math.max(0, Math.floor(Math.min(r.x0 + DILATE, r.x1) * sx)),
      y0: Math.max(0, Math.floor(Math.min(r.y0 + DILATE, r.y1) * sy)),
      x1: Math.min(f.srcWidth, Math.ceil((Math.max(r.x1 - DILATE, r.x0) + 1) * sx)),
      y1: Math.min(f.srcHeight, Math.ceil((Math.max(r.y1 - DILATE, r.y0) + 1) * sy)),
      area: r.count / n
    })))
  }
  if (!out.usable) return { ...none, changed: out.changed }
  return out
}

/** Per-pixel median of the frames (2 frames: the other frame, so both positions show). */
function background (frames: GreyFrame[]): Uint8Array {
  const n = frames[0]!.data.length
  const bg = new Uint8Array(n)
  if (frames.length === 2) {
    // with two frames there is no majority: each frame is compared with the other
    // (see burstMotion's caller contract: regions then hold both positions)
    const a = frames[0]!.data
    const b = frames[1]!.data
    for (let i = 0; i < n; i++) bg[i] = (a[i]! + b[i]!) >> 1
    return bg
  }
  const vals = new Array<number>(frames.length)
  const mid = frames.length >> 1
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < frames.length; k++) vals[k] = frames[k]!.data[i]!
    vals.sort((x, y) => x - y)
    bg[i] = frames.length % 2 === 1 ? vals[mid]! : (vals[mid - 1]! + vals[mid]!) >> 1
  }
  return bg
}

function medianShift (a: Uint8Array, bg: Uint8Array): number {
  const hist = new Uint32Array(511)
  for (let i = 0; i < a.length; i++) hist[a[i]! - bg[i]! + 255]!++
  let acc = 0
  const half = a.length / 2
  for (let d = 0; d < 511; d++) {
    acc += hist[d]!
    if (acc >= half) return d - 255
  }
  return 0
}

const DILATE = 2

/** 3×3 erosion (drops single-pixel noise and JPEG ringing), then a 5×5 dilation (joins an animal's parts). */
function open (mask: Uint8Array, w: number, h: number): Uint8Array {
  const eroded = new Uint8Array(mask.length)
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x
      if (mask[i] === 0) continue
      let all = 1
      for (let dy = -1; dy <= 1 && all === 1; dy++) for (let dx = -1; dx <= 1; dx++) if (mask[i + dy * w + dx] === 0) { all = 0; break }
      // keep a pixel with at least a full 3×3 neighbourhood, or most of it
      if (all === 1 || count3(mask, i, w) >= 6) eroded[i] = 1
    }
  }
  const out = new Uint8Array(mask.length)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (eroded[y * w + x] === 0) continue
      for (let dy = -DILATE; dy <= DILATE; dy++) {
        const yy = y + dy
        if (yy < 0 || yy >= h) continue
        for (let dx = -DILATE; dx <= DILATE; dx++) {
          const xx = x + dx
          if (xx >= 0 && xx < w) out[yy * w + xx] = 1
        }
      }
    }
  }
  return out
}

function count3 (mask: Uint8Array, i: number, w: number): number {
  let c = 0
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) c += mask[i + dy * w + dx]!
  return c
}

interface Component { x0: number, y0: number, x1: number, y1: number, count: number }

/** 8-connected components of a binary mask, with bounding boxes (iterative flood fill). */
export function components (mask: Uint8Array, w: number, h: number): Component[] {
  const seen = new Uint8Array(mask.length)
  const stack = new Int32Array(mask.length)
  const out: Component[] = []
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || seen[start] === 1) continue
    const c: Component = { x0: w, y0: h, x1: -1, y1: -1, count: 0 }
    let sp = 0
    stack[sp++] = start
    seen[start] = 1
    while (sp > 0) {
      const i = stack[--sp]!
      const x = i % w
      const y = (i - x) / w
      c.count++
      if (x < c.x0) c.x0 = x
      if (x > c.x1) c.x1 = x
      if (y < c.y0) c.y0 = y
      if (y > c.y1) c.y1 = y
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy
        if (yy < 0 || yy >= h) continue
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx
          if (xx < 0 || xx >= w) continue
          const j = yy * w + xx
          if (mask[j] === 1 && seen[j] === 0) { seen[j] = 1; stack[sp++] = j }
        }
      }
    }
    out.push(c)
  }
  return out
}
