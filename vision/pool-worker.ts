import { Worker } from 'node:worker_threads'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { EngineOptions } from './engine.js'
import type { AnalyseContext, FrameMeta, NormBox, VisionOutcome } from './types.js'

export interface Job { bytes: Uint8Array, frame: FrameMeta | undefined, transfer: boolean, group: number, resolve: (o: VisionOutcome) => void }
export interface Slot { worker: Worker, busy: Job[] | null, ready: boolean, send: (jobs: Job[]) => void }

/** What a worker slot needs from its pool. */
export interface SlotHooks {
  file: string
  engine: EngineOptions
  statics: ((cameraId: string) => NormBox[]) | undefined
  log: Logger
  nextId(): number
  setModel(model: string | undefined): void
  finish(job: Job, out: VisionOutcome): void
  pump(): void
  closing(): boolean
  restarted(): void
}

interface WorkerMessage { ready?: true, model?: string, fatal?: { code: string, message: string }, id?: number, outcomes?: VisionOutcome[], error?: { code: string, message: string } }

/** Starts one worker (into `slot` when it replaces a dead one); resolves when it has loaded the model. */
export function spawnSlot (h: SlotHooks, slot?: Slot): Promise<Slot> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(h.file, { workerData: h.engine })
    const s: Slot = slot ?? { worker, busy: null, ready: false, send: () => {} }
    s.worker = worker
    s.ready = false
    const pending = new Map<number, Job[]>()
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.ready === true) {
        s.ready = true
        h.setModel(msg.model)
        resolve(s)
        h.pump()
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
      jobs.forEach((job, i) => { h.finish(job, outcomeOf(msg, i)) })
      h.pump()
    })
    worker.on('error', err => { h.log.error({ err: err.message }, 'vision worker error') })
    worker.on('exit', code => {
      if (!s.ready) { reject(new MimamoriError('MIMAMORI_ERR_VISION', `vision worker exited during start (code ${code})`)); return }
      s.ready = false
      const lost = s.busy ?? []
      s.busy = null
      for (const job of lost) h.finish(job, { ok: false, code: 'MIMAMORI_ERR_VISION', message: `vision worker exited (code ${code}) while analysing` })
      if (h.closing()) return
      h.restarted()
      h.log.warn({ code, lost: lost.length }, 'vision worker died; starting a new one')
      spawnSlot(h, s).catch((err: unknown) => { h.log.error({ err: (err as Error).message }, 'vision worker restart failed') })
    })
    // the pump needs to find the slot before it is ready, to route messages
    s.send = (jobs: Job[]) => {
      const id = h.nextId()
      pending.set(id, jobs)
      postBatch(worker, id, jobs, h.statics)
    }
  })
}

function outcomeOf (msg: WorkerMessage, i: number): VisionOutcome {
  const out: VisionOutcome = msg.outcomes?.[i] ?? { ok: false, code: msg.error?.code ?? 'MIMAMORI_ERR_VISION', message: msg.error?.message ?? 'no result' }
  if (out.ok && out.thumbnail !== null) out.thumbnail = Buffer.from(out.thumbnail.buffer, out.thumbnail.byteOffset, out.thumbnail.byteLength)
  return out
}

function postBatch (worker: Worker, id: number, jobs: Job[], statics: SlotHooks['statics']): void {
  const ctx: AnalyseContext = {}
  if (jobs.some(j => j.frame !== undefined)) {
    ctx.frames = jobs.map(j => j.frame)
    if (statics !== undefined) {
      ctx.statics = {}
      for (const j of jobs) if (j.frame !== undefined) ctx.statics[j.frame.cameraId] ??= statics(j.frame.cameraId)
    }
  }
  // transferable inputs move to the worker without a copy (the caller gave them up)
  const transfer = jobs.filter(j => j.transfer && isWhole(j.bytes)).map(j => j.bytes.buffer as ArrayBuffer)
  worker.postMessage({ id, inputs: jobs.map(j => j.bytes), ctx }, transfer)
}

function isWhole (b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)
}
