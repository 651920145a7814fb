import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { packageRoot } from '../core/paths.js'
import type { EngineOptions } from './engine.js'
import type { AnalyseContext, FrameMeta, NormBox, VisionOutcome } from './types.js'

/**
 * A place in the bounded queue, held before the frame's MQTT ack: the frame is
 * then sure to be queued (submit with it never waits or refuses). Released
 * when a job uses it, or by `release()` when the frame is dropped.
 */
export interface Reservation {
  release(): void
}

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

interface Job { bytes: Uint8Array, frame: FrameMeta | undefined, transfer: boolean, group: number, resolve: (o: VisionOutcome) => void }
interface Slot { worker: Worker, busy: Job[] | null, ready: boolean }

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
  const file = workerFile()
  const queue: Job[] = []
  const slots: Slot[] = []
  /** reserve() callers waiting for room, in arrival order */
  const waiters: Array<{ resolve: (r: Reservation) => void, reject: (err: Error) => void }> = []
  /** whenAccepting() callers */
  const watchers: Array<() => void> = []
  let reserved = 0
  const stats: PoolStats = { submitted: 0, completed: 0, failed: 0, batches: 0, workerRestarts: 0 }
  let nextId = 1
  let nextGroup = 1
  let closing: Promise<void> | undefined
  let accepting = false
  let model = ''
  let idle: (() => void) | undefined

  function spawn (slot?: Slot): Promise<Slot> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(file, { workerData: o.engine })
      const s: Slot = slot ?? { worker, busy: null, ready: false }
      s.worker = worker
      s.ready = false
      const pending = new Map<number, Job[]>()
      worker.on('message', (msg: { ready?: true, model?: string, fatal?: { code: string, message: string }, id?: number, outcomes?: VisionOutcome[], error?: { code: string, message: string } }) => {
        if (msg.ready === true) {
          s.ready = true
          model = msg.model ?? model
          resolve(s)
          pump()
          return
        }
        if (msg.fatal !== undefined) {
          reject(new MimamoriError('MIMAMORI_ERR_VISION', msg.fatal.message))
          void worker.terminate()
          return
        }
        const jobs = pending.get(msg.id ?? -1)
        if (jobs === undefined) return
        pending.delete(msg.id!)
        s.busy = null
        jobs.forEach((job, i) => {
          const out: VisionOutcome = msg.outcomes?.[i] ?? { ok: false, code: msg.error?.code ?? 'MIMAMORI_ERR_VISION', message: msg.error?.message ?? 'no result' }
          if (out.ok && out.thumbnail !== null) out.thumbnail = Buffer.from(out.thumbnail.buffer, out.thumbnail.byteOffset, out.thumbnail.byteLength)
          finish(job, out)
        })
        pump()
      })
      worker.on('error', err => { log.error({ err: err.message }, 'vision worker error') })
      worker.on('exit', code => {
        if (!s.ready) { reject(new MimamoriError('MIMAMORI_ERR_VISION', `vision worker exited during start (code ${code})`)); return }
        s.ready = false
        const lost = s.busy ?? []
        s.busy = null
        for (const job of lost) finish(job, { ok: false, code: 'MIMAMORI_ERR_VISION', message: `vision worker exited (code ${code}) while analysing` })
        if (closing !== undefined) return
        stats.workerRestarts++
        log.warn({ code, lost: lost.length }, 'vision worker died; starting a new one')
        spawn(s).catch((err: unknown) => { log.error({ err: (err as Error).message }, 'vision worker restart failed') })
      })
      // the pump needs to find the slot before it is ready, to route messages
      ;(s as Slot & { send?: (jobs: Job[]) => void }).send = (jobs: Job[]) => {
        const id = nextId++
        pending.set(id, jobs)
        const ctx: AnalyseContext = {}
        if (jobs.some(j => j.frame !== undefined)) {
          ctx.frames = jobs.map(j => j.frame)
          if (o.statics !== undefined) {
            ctx.statics = {}
            for (const j of jobs) if (j.frame !== undefined) ctx.statics[j.frame.cameraId] ??= o.statics(j.frame.cameraId)
          }
        }
        // transferable inputs move to the worker without a copy (the caller gave them up)
        const transfer = jobs.filter(j => j.transfer && isWhole(j.bytes)).map(j => j.bytes.buffer as ArrayBuffer)
        worker.postMessage({ id, inputs: jobs.map(j => j.bytes), ctx }, transfer)
      }
    })
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
      ;(s as Slot & { send: (jobs: Job[]) => void }).send(jobs)
    }
    admit()
  }

  /** hands free places to waiting reservers, one at a time, so none is promised a place that is not there */
  function admit (): void {
    while (waiters.length > 0 && queue.length + reserved < o.queueLimit) {
      reserved++
      waiters.shift()!.resolve(reservation())
    }
    if (queue.length + reserved < o.queueLimit) for (const w of watchers.splice(0)) w()
  }

  function reservation (): Reservation & { used: boolean } {
    const r = {
      used: false,
      release () {
        if (r.used) return
        r.used = true
        reserved--
        admit()
      }
    }
    return r
  }

  /** turns a held place into a queued job (the place moves from `reserved` to `queue`) */
  function consume (r: Reservation | undefined): boolean {
    const held = r as (Reservation & { used: boolean }) | undefined
    if (held === undefined || held.used) return false
    held.used = true
    reserved--
    return true
  }

  return {
    get queued () { return queue.length },
    get reserved () { return reserved },
    get inFlight () { return slots.reduce((n, s) => n + (s.busy?.length ?? 0), 0) },
    stats,
    async start () {
      for (let i = 0; i < o.size; i++) slots.push(await spawn())
      accepting = true
      log.info({ workers: o.size, model, queueLimit: o.queueLimit, batchMax: o.batchMax }, 'vision workers ready')
      return { model }
    },
    async reserve () {
      if (!accepting) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool is not running')
      if (waiters.length === 0 && queue.length + reserved < o.queueLimit) {
        reserved++
        return reservation()
      }
      return await new Promise<Reservation>((resolve, reject) => { waiters.push({ resolve, reject }) })
    },
    async submit (bytes, opts = {}) {
      if (!accepting) { opts.reservation?.release(); throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool is not running') }
      if (!consume(opts.reservation) && queue.length + reserved >= o.queueLimit) throw new MimamoriError('MIMAMORI_ERR_VISION_BUSY', `vision queue full (${o.queueLimit})`)
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
      const held = frames.filter(f => consume(f.reservation)).length
      if (held < frames.length && queue.length + reserved >= o.queueLimit) throw new MimamoriError('MIMAMORI_ERR_VISION_BUSY', `vision queue full (${o.queueLimit})`)
      stats.submitted += frames.length
      const group = nextGroup++
      const all = frames.map(f => new Promise<VisionOutcome>(resolve => {
        queue.push({ bytes: f.bytes, frame: f.frame, transfer: f.transfer === true, group, resolve })
      }))
      pump()
      return await Promise.all(all)
    },
    async whenAccepting () {
      if (!accepting || queue.length + reserved < o.queueLimit) return
      await new Promise<void>(resolve => { watchers.push(resolve) })
    },
    async close () {
      closing ??= (async () => {
        accepting = false
        for (const w of waiters.splice(0)) w.reject(new MimamoriError('MIMAMORI_ERR_CLOSED', 'vision pool closed'))
        if (queue.length > 0 || slots.some(s => s.busy !== null)) await new Promise<void>(resolve => { idle = resolve })
        await Promise.all(slots.map(async s => { await s.worker.terminate() }))
        for (const w of watchers.splice(0)) w()
        log.info({ stats }, 'vision workers stopped')
      })()
      return await closing
    }
  }
}

function isWhole (b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
}
