import { existsSync, readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { MimamoriError } from '../core/errors.js'

/** ImageNet indices 369..382: siamang and the 13 monkey classes (see shared/models/README.md). */
export const PRIMATE_FIRST = 369
export const PRIMATE_LAST = 382
export const CLASSIFIER_SIZE = 224
const MEAN = [0.485, 0.456, 0.406] as const
const STD = [0.229, 0.224, 0.225] as const

export interface ClassScore {
  /** softmax mass over PRIMATE_FIRST..PRIMATE_LAST */
  monkey: number
  /** arg-max class and its probability */
  top: number
  topProb: number
}

export interface Classifier {
  /** one score per 224×224 packed RGB view; views are run as one batch */
  score(views: ClassifierView[]): Promise<ClassScore[]>
  label(index: number): string
  close(): Promise<void>
}

export async function loadSession (path: string, threads: number): Promise<ort.InferenceSession> {
  if (!existsSync(path)) throw new MimamoriError('MIMAMORI_ERR_VISION', `model file ${path} not found`)
  try {
    return await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all'
    })
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_VISION', `cannot load model ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * (v/255 − mean)/std for every byte value, per channel: the tensor fill is then one
 * table read per sample (the same float32 values as the multiply-add it replaces).
 */
const LUT: Float32Array = (() => {
  const t = new Float32Array(3 * 256)
  for (let c = 0; c < 3; c++) {
    const a = 1 / (255 * STD[c]!)
    const b = -MEAN[c]! / STD[c]!
    for (let v = 0; v < 256; v++) t[c * 256 + v] = v * a + b
  }
  return t
})()

/**
 * A view to fill into the tensor: a packed RGB 224×224 buffer, optionally read
 * mirrored (left–right), so a mirrored view needs no copy of its own.
 */
export type ClassifierView = Buffer | { view: Buffer, mirrored: true }

/**
 * Packed RGB 224×224 views → normalised planar NCHW float32 (ImageNet mean/std).
 * `into` (at least views × 3 × 224² floats) is filled instead of a new array.
 */
export function toClassifierTensor (views: ClassifierView[], into?: Float32Array): ort.Tensor {
  const size = CLASSIFIER_SIZE
  const plane = size * size
  const n = views.length * 3 * plane
  const out = into === undefined ? new Float32Array(n) : into.subarray(0, n)
  const lut = LUT
  for (let k = 0; k < views.length; k++) {
    const item = views[k]!
    const mirrored = !Buffer.isBuffer(item)
    const v: Buffer = Buffer.isBuffer(item) ? item : item.view
    if (v.length !== 3 * plane) throw new Error(`classifier view of ${v.length} bytes, expected ${3 * plane}`)
    const r = k * 3 * plane
    const g = r + plane
    const b = g + plane
    for (let y = 0; y < size; y++) {
      const row = y * size
      if (!mirrored) {
        for (let x = 0, j = row * 3; x < size; x++, j += 3) {
          const i = row + x
          out[r + i] = lut[v[j]!]!
          out[g + i] = lut[256 + v[j + 1]!]!
          out[b + i] = lut[512 + v[j + 2]!]!
        }
      } else {
        for (let x = 0, j = (row + size - 1) * 3; x < size; x++, j -= 3) {
          const i = row + x
          out[r + i] = lut[v[j]!]!
          out[g + i] = lut[256 + v[j + 1]!]!
          out[b + i] = lut[512 + v[j + 2]!]!
        }
      }
    }
  }
  return new ort.Tensor('float32', out, [views.length, 3, size, size])
}

/** Logits → softmax mass over the primate range, per row. */
export function primateScores (logits: Float32Array, rows: number, classes = 1000): ClassScore[] {
  const out: ClassScore[] = []
  for (let k = 0; k < rows; k++) {
    const off = k * classes
    let max = -Infinity
    let top = 0
    for (let j = 0; j < classes; j++) {
      const v = logits[off + j]!
      if (v > max) { max = v; top = j }
    }
    let sum = 0
    let monkey = 0
    for (let j = 0; j < classes; j++) {
      const e = Math.exp(logits[off + j]! - max)
      sum += e
      if (j >= PRIMATE_FIRST && j <= PRIMATE_LAST) monkey += e
    }
    out.push({ monkey: monkey / sum, top, topProb: 1 / sum })
  }
  return out
}

/** MobileNetV2-12 int8 (ONNX Model Zoo); input `input` [N,3,224,224], output `output` [N,1000] logits. */
export async function createClassifier (o: { modelPath: string, labelsPath: string, threads: number, maxBatch?: number }): Promise<Classifier> {
  const session = await loadSession(o.modelPath, o.threads)
  const inputName = session.inputNames[0] ?? 'input'
  const outputName = session.outputNames[0] ?? 'output'
  const labels = o.labelsPath !== '' && existsSync(o.labelsPath)
    ? readFileSync(o.labelsPath, 'utf8').split('\n').map(l => l.replace(/^n\d+\s+/, '').split(',')[0]!.trim())
    : []
  // per view, MobileNetV2 runs fastest at 4–8 views a run on one thread (larger batches
  // spill the activations out of cache: 32 views a run measured ~10 % slower per view)
  const maxBatch = o.maxBatch ?? 8
  // One input array for every run, grown to the largest chunk seen: a fresh 600 kB per view
  // is mostly page faults (≈ 1 ms a view on a VM), more than filling it. Concurrent
  // score() calls (never from the pool's workers, one batch at a time) get their own.
  let scratch = new Float32Array(0)
  let scratchBusy = false
  return {
    async score (views) {
      const out: ClassScore[] = []
      for (let i = 0; i < views.length; i += maxBatch) {
        const chunk = views.slice(i, i + maxBatch)
        const own = !scratchBusy
        if (own) {
          scratchBusy = true
          const need = chunk.length * 3 * CLASSIFIER_SIZE * CLASSIFIER_SIZE
          if (scratch.length < need) scratch = new Float32Array(need)
        }
        try {
          const input = toClassifierTensor(chunk, own ? scratch : undefined)
          const res = await session.run({ [inputName]: input })
          const logits = res[outputName]
          if (logits === undefined) throw new MimamoriError('MIMAMORI_ERR_VISION', `classifier has no output ${outputName}`)
          out.push(...primateScores(logits.data as Float32Array, chunk.length))
          input.dispose()
          logits.dispose()
        } finally {
          if (own) scratchBusy = false
        }
      }
      return out
    },
    label (index) { return labels[index] ?? `class ${index}` },
    async close () { await session.release() }
  }
}
