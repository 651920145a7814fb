import { existsSync, readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import sharp from 'sharp'
import * as ort from 'onnxruntime-node'
import { MimamoriError } from '../core/errors.js'
import { loadSession } from './classifier.js'
import type { DecodedImage } from './types.js'
import { iou } from './boxes.js'

export const DETECTOR_SIZE = 416
const STRIDES = [8, 16, 32] as const
/** COCO classes a monkey has been seen as (person, bird, cat, dog, horse, sheep, cow, elephant, bear, zebra, giraffe, teddy bear) */
export const ANIMAL_CLASSES = new Set([0, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 77])

export interface RawBox { x0: number, y0: number, x1: number, y1: number, score: number, cls: number }

export interface Detector {
  /** animal/person boxes in image pixels, best first, after class-agnostic NMS */
  detect(img: DecodedImage, minScore: number, maxBoxes: number): Promise<Array<RawBox & { label: string }>>
  close(): Promise<void>
}

/**
 * YOLOX-Nano (COCO) as stage 1: top-left letterbox on 114, BGR, raw 0..255,
 * undecoded grid outputs (shared/models/detector/README.md).
 */
export async function createDetector (o: { modelPath: string, threads: number }): Promise<Detector> {
  const session = await loadSession(o.modelPath, o.threads)
  const labelsFile = join(dirname(o.modelPath), 'coco_labels.txt')
  const labels = existsSync(labelsFile) ? readFileSync(labelsFile, 'utf8').split('\n').map(s => s.trim()) : []
  const inputName = session.inputNames[0] ?? 'images'
  const outputName = session.outputNames[0] ?? 'output'
  const plane = DETECTOR_SIZE * DETECTOR_SIZE
  // input (2 MB) and output (1.2 MB) arrays reused run after run: fresh ones cost more in page
  // faults than the fill; a concurrent detect() (never from a pool worker) allocates its own
  const outShape = session.outputMetadata.find(m => m.name === outputName)
  const outDims = outShape?.isTensor === true && outShape.shape.every(d => typeof d === 'number') ? outShape.shape as number[] : undefined
  const scratch = { input: new Float32Array(3 * plane), output: outDims === undefined ? undefined : new Float32Array(outDims.reduce((a, b) => a * b, 1)), busy: false }
  return {
    async detect (img, minScore, maxBoxes) {
      const r = Math.min(DETECTOR_SIZE / img.height, DETECTOR_SIZE / img.width)
      const w = Math.max(1, Math.floor(img.width * r))
      const h = Math.max(1, Math.floor(img.height * r))
      const small = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
        .resize({ width: w, height: h, fit: 'fill', kernel: 'linear' }).raw().toBuffer()
      const own = !scratch.busy
      if (own) scratch.busy = true
      try {
        const t = own ? scratch.input : new Float32Array(3 * plane)
        fillDetectorInput(t, small, w, h)
        const input = new ort.Tensor('float32', t, [1, 3, DETECTOR_SIZE, DETECTOR_SIZE])
        const fetch = own && scratch.output !== undefined && outDims !== undefined
          ? { [outputName]: new ort.Tensor('float32', scratch.output, outDims) }
          : undefined
        const res = fetch === undefined ? await session.run({ [inputName]: input }) : await session.run({ [inputName]: input }, fetch)
        const out = res[outputName]
        if (out === undefined) throw new MimamoriError('MIMAMORI_ERR_VISION', `detector has no output ${outputName}`)
        const boxes = decodeYolox(out.data as Float32Array, r, img.width, img.height, minScore)
        input.dispose()
        out.dispose()
        return nms(boxes, 0.45).filter(b => ANIMAL_CLASSES.has(b.cls)).slice(0, maxBoxes)
          .map(b => ({ ...b, label: labels[b.cls] ?? `class ${b.cls}` }))
      } finally {
        if (own) scratch.busy = false
      }
    },
    async close () { await session.release() }
  }
}

/**
 * YOLOX input: the packed RGB `small` (w × h) at the top left of a 416² planar BGR
 * float array, raw 0..255, padded with 114. Every element of `t` is written.
 */
export function fillDetectorInput (t: Float32Array, small: Uint8Array, w: number, h: number): void {
  const size = DETECTOR_SIZE
  const plane = size * size
  for (let y = 0; y < h; y++) {
    const row = y * size
    for (let x = 0, i = y * w * 3; x < w; x++, i += 3) {
      const p = row + x
      t[p] = small[i + 2]! // B
      t[plane + p] = small[i + 1]! // G
      t[2 * plane + p] = small[i]! // R
    }
    if (w < size) for (let c = 0; c < 3; c++) t.fill(114, c * plane + row + w, c * plane + row + size)
  }
  if (h < size) for (let c = 0; c < 3; c++) t.fill(114, c * plane + h * size, (c + 1) * plane)
}

export function decodeYolox (out: Float32Array, r: number, width: number, height: number, minScore: number, classes = 80): RawBox[] {
  const boxes: RawBox[] = []
  const stride = 5 + classes
  let row = 0
  for (const s of STRIDES) {
    const g = DETECTOR_SIZE / s
    for (let gy = 0; gy < g; gy++) {
      for (let gx = 0; gx < g; gx++, row++) {
        const b = row * stride
        const obj = out[b + 4]!
        if (obj < minScore) continue
        let cls = 0
        let best = 0
        for (let c = 0; c < classes; c++) {
          const p = out[b + 5 + c]!
          if (p > best) { best = p; cls = c }
        }
        const score = obj * best
        if (score < minScore) continue
        const cx = (out[b]! + gx) * s
        const cy = (out[b + 1]! + gy) * s
        const w = Math.exp(out[b + 2]!) * s
        const h = Math.exp(out[b + 3]!) * s
        boxes.push({
          x0: Math.max(0, (cx - w / 2) / r),
          y0: Math.max(0, (cy - h / 2) / r),
          x1: Math.min(width, (cx + w / 2) / r),
          y1: Math.min(height, (cy + h / 2) / r),
          score,
          cls
        })
      }
    }
  }
  return boxes
}

/** Class-agnostic NMS, best first. */
export function nms<T extends RawBox> (boxes: T[], iouMax: number): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score)
  const keep: T[] = []
  for (const b of sorted) if (keep.every(k => iou(k, b) < iouMax)) keep.push(b)
  return keep
}

