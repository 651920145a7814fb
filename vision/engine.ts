import { isMimamoriError } from '../core/errors.js'
import { decodeImage, thumbnail, type DecodeLimits } from './image.js'
import { createMonkeyModel } from './monkey-model.js'
import type { AnalyseContext, Analysis, DecodedImage, ModelOutput, MonkeyAnalysis, MonkeyModel, MonkeyModelOptions, VisionOutcome } from './types.js'

export interface EngineOptions {
  model: MonkeyModelOptions
  limits: DecodeLimits
  /** longest side of the thumbnail kept for positive frames; 0 = none */
  thumbnailSide: number
  /** module of a model adapter (`createModel(model)`); empty/absent = the built-in one */
  adapter?: string | undefined
  /** positive when an adapter's monkeyScore reaches this and it gave no verdict itself */
  adapterThreshold?: number | undefined
}

export interface VisionEngine<A extends Analysis = MonkeyAnalysis> {
  readonly modelName: string
  /**
   * one outcome per input, in order; a bad image fails alone, never the batch.
   * `ctx.frames` (per input) groups the frames of a burst for motion regions;
   * `ctx.statics` carries each camera's static places.
   */
  analyse(inputs: Uint8Array[], ctx?: AnalyseContext): Promise<Array<VisionOutcome<A>>>
  close(): Promise<void>
}

/** An adapter's output made complete; the built-in analysis passes through unchanged. */
export function normalise (out: ModelOutput, img: DecodedImage, threshold: number): Analysis {
  const positive = out.positive ?? out.monkeyScore >= threshold
  return {
    ...out,
    positive,
    via: out.via ?? (positive ? 'model' : 'none'),
    boxes: out.boxes ?? [],
    width: (out as Partial<Analysis>).width ?? img.width,
    height: (out as Partial<Analysis>).height ?? img.height
  }
}

/**
 * bytes → decode → model → outcome. The same code runs in the ingest worker
 * pool and on a camera gateway doing on-device inference (edge/camera).
 */
export async function createVisionEngine (o: EngineOptions): Promise<VisionEngine>
export async function createVisionEngine (o: EngineOptions, model: MonkeyModel<ModelOutput>): Promise<VisionEngine<Analysis>>
export async function createVisionEngine (o: EngineOptions, model?: MonkeyModel<ModelOutput>): Promise<VisionEngine<Analysis>> {
  const m: MonkeyModel<ModelOutput> = model ?? await createMonkeyModel(o.model)
  const threshold = o.adapterThreshold ?? 0.5
  return {
    modelName: m.name,
    async analyse (inputs, ctx) {
      const started = performance.now()
      const outcomes: VisionOutcome[] = new Array<VisionOutcome>(inputs.length)
      const decoded: Array<{ i: number, img: DecodedImage }> = []
      // one decode at a time: a pool has one worker per core, so decoding a batch in parallel
      // on the libuv pool only puts more threads on the same cores (no gain measured, docs/wildlife.md §7)
      for (const [i, bytes] of inputs.entries()) {
        try {
          decoded.push({ i, img: await decodeImage(bytes, o.limits) })
        } catch (err) {
          outcomes[i] = failure(err)
        }
      }
      if (decoded.length > 0) {
        try {
          const sub: AnalyseContext | undefined = ctx === undefined ? undefined : { frames: ctx.frames === undefined ? undefined : decoded.map(d => ctx.frames![d.i]), statics: ctx.statics }
          const analyses = await m.analyse(decoded.map(d => d.img), sub)
          if (analyses.length !== decoded.length) throw new Error(`model ${m.name} returned ${analyses.length} results for ${decoded.length} images`)
          const each = (performance.now() - started) / inputs.length
          await Promise.all(decoded.map(async ({ i, img }, k) => {
            const analysis = normalise(analyses[k]!, img, threshold)
            const thumb = analysis.positive && o.thumbnailSide > 0 ? await thumbnail(img, o.thumbnailSide) : null
            outcomes[i] = { ok: true, analysis, thumbnail: thumb, inferMs: each }
          }))
        } catch (err) {
          for (const { i } of decoded) outcomes[i] = failure(err, 'MIMAMORI_ERR_VISION')
        }
      }
      return outcomes
    },
    async close () { await m.close() }
  }
}

function failure (err: unknown, fallback = 'MIMAMORI_ERR_IMAGE_CORRUPT'): VisionOutcome {
  if (isMimamoriError(err)) return { ok: false, code: err.code, message: err.message }
  return { ok: false, code: fallback, message: (err as Error).message }
}
