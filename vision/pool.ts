import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { packageRoot } from '../core/paths.js'
import type { EngineOptions } from './engine.js'
import { createPlaces, type Reservation } from './pool-places.js'
import { spawnSlot, type Job, type Slot, type SlotHooks } from './pool-worker.js'
import type { FrameMeta, NormBox, VisionOutcome } from './types.js'

export type { Reservation } from './pool-places.js'

export interface PoolOptions {
  engine: EngineOptions
  /** worker threads, one per core */
  size: number
  /** images waiting beyond the ones in the workers, reserved places included; submit() without a reservation refuses above this */
  queueLimit: number
  /** most images one worker takes at once when a queue has built up */
  batchMax: number
  logger: Logger
  /** the static places of a camera, sent with each job of that camera */
  statics?: (cameraId: string) => NormBox[]
}

export interface SubmitOptions {
  /** the frame's camera and burst (motion regions, static suppression) */
  frame?: FrameMeta
  /**
   * hand the bytes' ArrayBuffer to the worker instead of copying it; only for
   * a buffer the caller owns alone and no longer reads (it is detached)
   */
  transfer?: boolean
  /** a place taken with reserve(): the job is queued without a limit check */
  reservation?: Reservation | undefined
}

export interface PoolStats {
  submitted: number
  completed: number
  failed: number
  batches: number
  workerRestarts: number
}

export interface VisionPool {
  /** spawns the workers and resolves when every one has loaded the model */
  start(): Promise<{ model: string }>
  /**
   * waits (first come, first served) until the queue has room for one more
   * image and holds that place; the intake awaits this before the MQTT ack.
   * Rejects with MIMAMORI_ERR_CLOSED once the pool closes.
   */
  reserve(): Promise<Reservation>
  /** queues one image; without a reservation rejects at once with MIMAMORI_ERR_VISION_BUSY when the queue is full */
  submit(bytes: Uint8Array, opts?: SubmitOptions): Promise<VisionOutcome>
  /**
   * queues the frames of one burst; they go to one worker in one batch, so
   * motion between them can be used. Without reservations refused as a whole
   * when the queue is full.
   */
  submitBurst(frames: Array<{ bytes: Uint8Array } & SubmitOptions>): Promise<VisionOutcome[]>
  /** resolves when there is room (a hint: only reserve() holds the place) */
  whenAccepting(): Promise<void>
  readonly queued: number
  /** places held by reserve() and not yet used */
  readonly reserved: number
  readonly inFlight: number
  readonly stats: Readonly<PoolStats>
  /** stops taking work, finishes what was queued, then ends the workers; idempotent */
  close(): Promise<void>
}

/** The compiled worker; under vitest the sources are .ts, so use the build (npm test builds first). */
export function workerFile (): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url))
  if (existsSync(here)) return here
  const built = join(packageRoot(), 'dist', 'vision', 'worker.js')
  if (existsSync(built)) return built
  throw new MimamoriError('MIMAMORI_ERR_VISION', `vision worker not built (${built}); run npm run build`)
}

/**
 * Worker-thread pool sized to the cores. Images wait in one bounded FIFO; an
 * idle worker takes up to `batchMax` at once, so a backlog is run as batches
 * (one session.run for many views). A worker that dies fails only its own
 * batch and is replaced.
 */
export function createVisionPool (o: PoolOptions): VisionPool {
  const log = o.logger.child({ component: 'vision-pool' })
  const queue: Job[] = []
  const slots: Slot[] = []
  const places = createPlaces(o.queueLimit, () => queue.length)
  const stats: PoolStats = { submitted: 0, completed: 0, failed: 0, batches: 0, workerRestarts: 0 }
  let nextId = 1
  let nextGroup = 1
  let closing: Promise<void> | undefined
  let accepting = false
  let model = ''
  let idle: (() => void) | undefined
  const hooks: SlotHooks = {
    file: workerFile(),
    engine: o.engine,
    statics: o.statics,
    log,
    nextId: () => nextId++,
    setModel: m => { model = m ?? model },
    finish,
    pump,
    closing: () => closing !== undefined,
    restarted: () => { stats.workerRestarts++ }
  }

  function finish (job: Job, out: VisionOutcome): void {
    if (out.ok) stats.completed++
    else stats.failed++
    job.resolve(out)
    if (idle !== undefined && queue.length === 0 && slots.every(s => s.busy === null)) idle()
  }

  function pump (): void {
    for (const s of slots) {
      if (queue.length === 0) break
      if (!s.ready || s.busy !== null) continue
      // up to batchMax images, but no more than a fair share of a short backlog (so the
      // other workers are not left idle while this one runs it alone), and never a burst
      // split across workers
      let n = Math.min(o.batchMax, Math.ceil(queue.length / slots.length))
      while (n < queue.length && queue[n]!.group === queue[n - 1]!.group) n++
      const jobs = queue.splice(0, n)
      s.busy = jobs
      stats.batches++
      s.send(jobs)
    }
    places.admit()
  }

  return {
    get queued () { return queue.length },
    get reserved () { return places.reserved },
    get inFlight () { return slots.reduce((n, s) => n + (s.busy?.length ?? 0), 0) },
    stats,
    async start () {
      for (let i = 0; i < o.size; i++) slots.push(await spawnSlot(hooks))
      accepting = true
      log.info({ workers: o.size, model, queueLimit: o.queueLimit, batchMax: o.batchMax }, 'vision workers ready')
      return { model }
    },
    async reserve () {
      if (!accepting) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool is not running')
      return places.tryHold() ?? await places.wait()
    },
    async submit (bytes, opts = {}) {
      if (!accepting) { opts.reservation?.release(); throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool is not running') }
      if (!places.consume(opts.reservation) && !places.hasRoom()) throw new MimamoriError('MIMAMORI_ERR_VISION_BUSY', `vision queue full (${o.queueLimit})`)
      stats.submitted++
      return await new Promise<VisionOutcome>(resolve => {
        queue.push({ bytes, frame: opts.frame, transfer: opts.transfer === true, group: nextGroup++, resolve })
        pump()
      })
    },
    async submitBurst (frames) {
      if (!accepting) { for (const f of frames) f.reservation?.release(); throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool is not running') }
      // frames with a held place are in; the others may overfill the queue by the burst's own size
      // (else a burst larger than the limit could never run), but only if the queue had room
      const held = frames.filter(f => places.consume(f.reservation)).length
      if (held < frames.length && !places.hasRoom()) throw new MimamoriError('MIMAMORI_ERR_VISION_BUSY', `vision queue full (${o.queueLimit})`)
      stats.submitted += frames.length
      const group = nextGroup++
      const all = frames.map(f => new Promise<VisionOutcome>(resolve => {
        queue.push({ bytes: f.bytes, frame: f.frame, transfer: f.transfer === true, group, resolve })
      }))
      pump()
      return await Promise.all(all)
    },
    async whenAccepting () {
      if (!accepting || places.hasRoom()) return
      await places.watch()
    },
    async close () {
      closing ??= (async () => {
        accepting = false
        places.rejectWaiters(new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool closed'))
        if (queue.length > 0 || slots.some(s => s.busy !== null)) await new Promise<void>(resolve => { idle = resolve })
        await Promise.all(slots.map(async s => { await s.worker.terminate() }))
        places.wakeWatchers()
        log.info({ stats }, 'vision workers stopped')
      })()
      return await closing
    }
  }
}
