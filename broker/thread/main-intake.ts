import type { Worker } from 'node:worker_threads'
import type { MimamoriError } from '../../core/errors.js'
import type { BrokerIntake } from '../context.js'
import type { TakeAnswers, TakeBatch } from './protocol.js'

/**
 * The main thread's side of the broker thread's intake: the frames of one batch are
 * handed to ingest in their order; their outcomes are collected and sent back once per
 * event-loop turn. The answers belong to the worker that sent the frames: after a
 * restart a dead worker's late answers are dropped (`current()` false), never given to
 * its successor, whose ids start again at 1.
 */
export function createTakeAnswers (w: Worker, current: () => boolean, intake: BrokerIntake): { take(batch: TakeBatch): void } {
  let pending: TakeAnswers = { t: 'settled', ok: [], failed: [] }
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    const out = pending
    pending = { t: 'settled', ok: [], failed: [] }
    if (current()) w.postMessage(out)
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }
  const ok = (n: number): void => { pending.ok.push(n); schedule() }
  const fail = (n: number, err: Error): void => {
    const e = err as Partial<MimamoriError> & Error
    pending.failed.push({ id: n, code: e.code ?? 'MIMAMORI_ERR_INTERNAL', message: e.message, ...(e.details === undefined ? {} : { details: e.details }) })
    schedule()
  }
  return {
    take (batch) {
      const bytes = Buffer.from(batch.bytes)
      let start = 0
      for (let i = 0; i < batch.topics.length; i++) {
        const end = batch.ends[i]!
        const n = batch.first + i
        intake.take({ topic: batch.topics[i]!, payload: bytes.subarray(start, end), qos: batch.qos[i]! })
          .then(() => { ok(n) }, (err: Error) => { fail(n, err) })
        start = end
      }
    }
  }
}
