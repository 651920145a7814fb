import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { EngineOptions } from './engine.js'
import { createVisionPool, type PoolStats, type Reservation, type SubmitOptions, type VisionPool } from './pool.js'
import { DEFAULT_MONKEY_OPTIONS } from './monkey-model.js'
import { createStaticMemory, DEFAULT_STATIC_OPTIONS, type StaticMemory } from './static-suppression.js'
import type { VisionOutcome } from './types.js'

export type { VisionOutcome } from './types.js'
export type { Reservation } from './pool.js'

export interface Vision {
  /** loads the model in every worker; never throws for a missing model (detection is then off) */
  start(): Promise<{ enabled: boolean, model?: string, reason?: string }>
  readonly enabled: boolean
  /** a place in the bounded queue, waiting for one while it is full (pool.ts); hold it before the MQTT ack */
  reserve(): Promise<Reservation>
  /** queues one image for detection; without `opts.reservation` MIMAMORI_ERR_VISION_BUSY when full */
  submit(bytes: Uint8Array, opts?: SubmitOptions): Promise<VisionOutcome>
  /** the frames of one burst, analysed together (motion regions); each must carry `frame` */
  submitBurst(frames: Array<{ bytes: Uint8Array } & SubmitOptions>): Promise<VisionOutcome[]>
  whenAccepting(): Promise<void>
  /** per-camera memory of static detector boxes (fed from every analysed frame that carries `frame`) */
  readonly statics: StaticMemory
  readonly stats: Readonly<PoolStats> & { queued: number, inFlight: number, reserved: number }
  close(): Promise<void>
}

/** Engine options from config: paths resolved, labels beside the model unless set. */
export function engineOptionsFrom (config: Config): EngineOptions {
  const v = config.vision
  const classifierPath = resolve(v.modelPath)
  const detectorPath = v.detectorPath === '' ? '' : resolve(v.detectorPath)
  return {
    model: {
      ...DEFAULT_MONKEY_OPTIONS,
      classifierPath,
      labelsPath: v.labelsPath !== '' ? resolve(v.labelsPath) : join(dirname(classifierPath), 'imagenet_synset.txt'),
      detectorPath: detectorPath !== '' && existsSync(detectorPath) ? detectorPath : '',
      wholeThreshold: v.wholeThreshold,
      fullFrameThreshold: v.fullFrameThreshold,
      cropThreshold: v.cropThreshold,
      detectorMinScore: v.detectorMinScore,
      maxCrops: v.maxCrops,
      motion: v.motion
    },
    limits: { maxBytes: config.ingest.maxImageBytes, maxPixels: v.maxPixels, maxSide: v.maxSide },
    thumbnailSide: v.thumbnailSide,
    adapter: v.adapter === '' ? '' : resolve(v.adapter),
    adapterThreshold: v.adapterThreshold
  }
}

/**
 * The wildlife detector as an ingest component. Without a model file it stays
 * disabled and says so once at start; images are still stored.
 */
export function createVision ({ config, logger }: { config: Config, logger: Logger }): Vision {
  const log = logger.child({ component: 'vision' })
  let pool: VisionPool | undefined
  const statics = createStaticMemory({ ...DEFAULT_STATIC_OPTIONS, minBursts: config.vision.staticMinBursts })
  /** the detector's boxes of an analysed frame feed its camera's static memory */
  const learn = (out: VisionOutcome, opts: SubmitOptions | undefined): VisionOutcome => {
    if (out.ok && opts?.frame !== undefined) {
      const det = out.analysis.boxes.filter(b => b.source === 'detector')
      // frames the detector did not run on say nothing about static places
      if (det.length > 0 || out.analysis.via === 'none') statics.observe(opts.frame.cameraId, opts.frame.burstId, out.analysis.width, out.analysis.height, det)
    }
    return out
  }
  const empty: PoolStats = { submitted: 0, completed: 0, failed: 0, batches: 0, workerRestarts: 0 }

  return {
    get enabled () { return pool !== undefined },
    get stats () { return { ...(pool?.stats ?? empty), queued: pool?.queued ?? 0, inFlight: pool?.inFlight ?? 0, reserved: pool?.reserved ?? 0 } },
    async start () {
      if (!config.vision.enabled) {
        log.info('wildlife detection is off (vision.enabled = false)')
        return { enabled: false, reason: 'disabled in configuration' }
      }
      const engine = engineOptionsFrom(config)
      // an adapter brings its own model files and says so when one is missing
      if (engine.adapter === '' && !existsSync(engine.model.classifierPath)) {
        const reason = `model file ${engine.model.classifierPath} not found`
        log.warn({ modelPath: engine.model.classifierPath },
          'wildlife detection DISABLED: model file not found. Images are still stored. Get the model with `npm run model:fetch` (see docs/wildlife.md) or set vision.modelPath')
        return { enabled: false, reason }
      }
      if (engine.adapter === '' && config.vision.detectorPath !== '' && engine.model.detectorPath === '') {
        log.warn({ detectorPath: resolve(config.vision.detectorPath) }, 'detector model not found: whole-frame stages only (lower recall on small, distant monkeys)')
      }
      const size = config.vision.workers === 0 ? availableParallelism() : config.vision.workers
      const p = createVisionPool({ engine, size, queueLimit: config.vision.queueLimit, batchMax: config.vision.batchMax, logger, statics: id => statics.known(id) })
      try {
        const { model } = await p.start()
        pool = p
        log.info({ model, workers: size, adapter: engine.adapter === '' ? 'built-in' : engine.adapter }, 'wildlife detection enabled')
        return { enabled: true, model }
      } catch (err) {
        await p.close().catch(() => undefined)
        log.error({ err: (err as Error).message }, 'wildlife detection DISABLED: the model could not be loaded')
        return { enabled: false, reason: (err as Error).message }
      }
    },
    statics,
    async reserve () {
      if (pool === undefined) throw new MimamoriError('MIMAMORI_ERR_VISION', 'wildlife detection is disabled')
      return await pool.reserve()
    },
    async submit (bytes, opts) {
      if (pool === undefined) throw new MimamoriError('MIMAMORI_ERR_VISION', 'wildlife detection is disabled')
      return learn(await pool.submit(bytes, opts), opts)
    },
    async submitBurst (frames) {
      if (pool === undefined) throw new MimamoriError('MIMAMORI_ERR_VISION', 'wildlife detection is disabled')
      const outs = await pool.submitBurst(frames)
      outs.forEach((o, i) => learn(o, frames[i]))
      return outs
    },
    async whenAccepting () { await pool?.whenAccepting() },
    async close () { await pool?.close() }
  }
}
