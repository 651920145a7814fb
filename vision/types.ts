/**
 * Types of the wildlife vision pipeline. A model adapter turns decoded images
 * into monkey evidence; everything around it (decode, queue, workers, votes)
 * is model-agnostic, so a better model (a camera-trap detector) drops in by
 * implementing `MonkeyModel`.
 */

/** A decoded frame: packed 8-bit sRGB, EXIF orientation applied. */
export interface DecodedImage {
  data: Buffer
  width: number
  height: number
}

/** A candidate animal box from the detector stage, in original-image pixels. */
export interface DetectionBox {
  x0: number
  y0: number
  x1: number
  y1: number
  /** detector confidence (obj × class) */
  detScore: number
  /** detector class name, e.g. 'bear' (COCO has no monkey class) */
  detLabel: string
  /** monkey score of the crop around this box (mean over the test-time views) */
  monkeyScore: number
  /** where the candidate came from: a detector box, or a motion region of the burst */
  source?: 'detector' | 'motion'
  /** a detector box on a place this camera's static memory knows (not cropped) */
  static?: boolean
}

export type Evidence = 'whole' | 'fullFrame' | 'crop' | 'none'

/** Per-stage monkey scores of the built-in adapter (softmax mass over the primate classes). */
export interface StageScores { whole: number, fullFrame: number, bestCrop: number }

/**
 * What a model adapter returns per image. Only `monkeyScore` and `label` are
 * required; the engine fills the rest (`positive` from `vision.adapterThreshold`,
 * `via` 'model'/'none', no boxes).
 */
export interface ModelOutput {
  /** monkey evidence, 0..1 */
  monkeyScore: number
  /** class name of the best view, e.g. 'macaque' */
  label: string
  /** candidate boxes in original-image pixels */
  boxes?: DetectionBox[] | undefined
  /** the adapter's own verdict; default monkeyScore ≥ vision.adapterThreshold */
  positive?: boolean | undefined
  /** the stage that decided (free text for adapters; 'none' when negative) */
  via?: string | undefined
  /** per-stage scores, where the adapter has stages */
  scores?: Partial<StageScores> | undefined
}

/** A frame's analysis as the pipeline stores it, whatever the adapter. */
export interface Analysis {
  positive: boolean
  via: string
  monkeyScore: number
  label: string
  scores?: Partial<StageScores> | undefined
  boxes: DetectionBox[]
  width: number
  height: number
}

/** The built-in adapter's analysis: every stage scored. */
export interface MonkeyAnalysis extends Analysis {
  /** the stage that decided; 'none' when negative */
  via: Evidence
  /** the best evidence on a 0..1 scale (the deciding stage's score when positive) */
  monkeyScore: number
  scores: StageScores
}

/** Where a frame came from; frames of one camera and burst are analysed together. */
export interface FrameMeta {
  cameraId: string
  burstId: string
  frameIndex: number
}

/** A box in frame fractions (0..1), as the static memory keeps them. */
export interface NormBox { x0: number, y0: number, x1: number, y1: number }

export interface AnalyseContext {
  /** per image (same order), or undefined for a lone frame */
  frames?: Array<FrameMeta | undefined>
  /** per camera: places its static memory knows (detector boxes there are not cropped) */
  statics?: Record<string, NormBox[]>
}

/**
 * The model adapter: pre-processing + inference + outputs → monkey evidence,
 * batched (one call per worker batch, one output per image, in order). The
 * built-in one is `createMonkeyModel`; `vision.adapter` names a module whose
 * `createModel(options: MonkeyModelOptions)` returns another (docs/wildlife.md §1).
 */
export interface MonkeyModel<A extends ModelOutput = MonkeyAnalysis> {
  readonly name: string
  analyse(images: DecodedImage[], ctx?: AnalyseContext): Promise<A[]>
  close(): Promise<void>
}

/** Thresholds and limits of the default two-stage model (see docs/wildlife.md). */
export interface MonkeyModelOptions {
  /** MobileNetV2 ImageNet classifier (ONNX) */
  classifierPath: string
  /** imagenet_synset.txt; empty = labels are class indices */
  labelsPath: string
  /** YOLOX-Nano COCO detector (ONNX); empty = whole-frame stages only */
  detectorPath: string
  /** centre crop (ImageNet pre-processing) threshold */
  wholeThreshold: number
  /** letterboxed full frame (no lost edges) threshold */
  fullFrameThreshold: number
  /** crop around a detector box, mean over margins × mirror */
  cropThreshold: number
  /** detector boxes below this are not cropped */
  detectorMinScore: number
  /** at most this many boxes are cropped per frame */
  maxCrops: number
  /** a crop gets the full set of test-time views only if its first view reaches this */
  cropGate: number
  /** onnxruntime intra-op threads per session (1 in a worker pool) */
  threads: number
  /** motion regions from the frames of a burst: extra crops, and the detector only on frames that moved */
  motion: boolean
}

export interface VisionOk<A extends Analysis = Analysis> {
  ok: true
  analysis: A
  /** small JPEG of the frame for alerts, only for positive frames */
  thumbnail: Buffer | null
  /** decode → result inside the worker, ms */
  inferMs: number
}

export interface VisionFailed {
  ok: false
  code: string
  message: string
}

export type VisionOutcome<A extends Analysis = Analysis> = VisionOk<A> | VisionFailed
