import { parentPort, workerData } from 'node:worker_threads'
import sharp from 'sharp'
import { isMimamoriError } from '../core/errors.js'
import { loadModelAdapter } from './adapter.js'
import { createVisionEngine, type EngineOptions } from './engine.js'
import type { AnalyseContext } from './types.js'

/**
 * One inference worker: its own onnxruntime sessions (1 intra-op thread) and
 * libvips with one thread, so N workers use N cores without oversubscription.
 * Messages: in `{ id, inputs }`, out `{ id, outcomes }`.
 */
export interface WorkerRequest { id: number, inputs: Uint8Array[], ctx?: AnalyseContext }

sharp.concurrency(1)
sharp.cache(false)
const port = parentPort
if (port === null) throw new Error('vision/worker.js must run as a worker thread')

try {
  const o = workerData as EngineOptions
  // the adapter is loaded here, not in the main thread: its sessions belong to this worker
  const engine = o.adapter === undefined || o.adapter === ''
    ? await createVisionEngine(o)
    : await createVisionEngine(o, await loadModelAdapter(o.adapter, o.model))
  port.on('message', (req: WorkerRequest | 'close') => {
    if (req === 'close') {
      void engine.close().finally(() => { port.close() })
      return
    }
    engine.analyse(req.inputs, req.ctx).then(outcomes => {
      // results are small (scores, boxes, a ~20 kB thumbnail): copied, not transferred
      port.postMessage({ id: req.id, outcomes })
    }, (err: unknown) => {
      port.postMessage({ id: req.id, error: { code: 'MIMAMORI_ERR_VISION', message: (err as Error).message } })
    })
  })
  port.postMessage({ ready: true, model: engine.modelName })
} catch (err) {
  port.postMessage({ fatal: { code: isMimamoriError(err) ? err.code : 'MIMAMORI_ERR_VISION', message: (err as Error).message } })
}
