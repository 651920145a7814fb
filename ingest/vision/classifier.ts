import { existsSync, readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { MimamoriError } from '../../core/errors.js'

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
  score(views: Buffer[]): Promise<ClassScore[]>
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

/** Packed RGB 224×224 views → normalised planar NCHW float32 (ImageNet mean/std). */
export function toClassifierTensor (views: Buffer[]): ort.Tensor {
  const plane = CLASSIFIER_SIZE * CLASSIFIER_SIZE
  const out = new Float32Array(views.length * 3 * plane)
  // (v/255 − mean)/std as one multiply-add per channel
  const a = MEAN.map((m, c) => [1 / (255 * STD[c]!), -m / STD[c]!] as const)
  const [r, g, b] = a as unknown as [readonly [number, number], readonly [number, number], readonly [number, number]]
  views.forEach((v, k) => {
    const base = k * 3 * plane
    for (let i = 0, j = 0; i < plane; i++, j += 3) {
      out[base + i] = v[j]! * r[0] + r[1]
      out[base + plane + i] = v[j + 1]! * g[0] + g[1]
      out[base + 2 * plane + i] = v[j + 2]! * b[0] + b[1]
    }
  })
  return new ort.Tensor('float32', out, [views.length, 3, CLASSIFIER_SIZE, CLASSIFIER_SIZE])
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
  const maxBatch = o.maxBatch ?? 32
  return {
    async score (views) {
      const out: ClassScore[] = []
      for (let i = 0; i < views.length; i += maxBatch) {
        const chunk = views.slice(i, i + maxBatch)
        const input = toClassifierTensor(chunk)
        const res = await session.run({ [inputName]: input })
        const logits = res[outputName]
        if (logits === undefined) throw new MimamoriError('MIMAMORI_ERR_VISION', `classifier has no output ${outputName}`)
        out.push(...primateScores(logits.data as Float32Array, chunk.length))
        input.dispose()
        logits.dispose()
      }
      return out
    },
    label (index) { return labels[index] ?? `class ${index}` },
    async close () { await session.release() }
  }
}
