import type { MessagePort } from 'node:worker_threads'
import { MimamoriError, ErrorCodes, type ErrorCode } from '../../core/errors.js'
import type { BrokerIntake } from '../context.js'
import type { PacketQos, TakeAnswers, TakeBatch } from './protocol.js'

interface Waiting { resolve: () => void, reject: (err: Error) => void }

/**
 * The broker thread's side of the in-process intake: every frame authorizePublish hands
 * over in one event-loop turn goes to the main thread in one TakeBatch, its payloads
 * copied once into one buffer that is transferred (no second copy, and one message
 * instead of one per frame). Frames keep their arrival order (ids ascend; the main
 * thread takes them in that order), so the order per device holds across the hop.
 */
export function createBatchedIntake (port: MessagePort): BrokerIntake & { settle(answers: TakeAnswers): void } {
  const waiting = new Map<number, Waiting>()
  let nextId = 1
  let first = 1
  let topics: string[] = []
  let qos: PacketQos[] = []
  let payloads: Buffer[] = []
  let bytes = 0
  let scheduled = false

  function flush (): void {
    scheduled = false
    const n = topics.length
    const buffer = new ArrayBuffer(bytes)
    const view = new Uint8Array(buffer)
    const ends = new Uint32Array(n)
    let offset = 0
    for (let i = 0; i < n; i++) {
      const p = payloads[i]!
      view.set(p, offset)
      offset += p.length
      ends[i] = offset
    }
    const batch: TakeBatch = { t: 'take', first, topics, qos, ends, bytes: buffer }
    port.postMessage(batch, [buffer, ends.buffer])
    topics = []
    qos = []
    payloads = []
    bytes = 0
  }

  return {
    take (msg) {
      const id = nextId++
      if (topics.length === 0) first = id
      topics.push(msg.topic)
      qos.push(msg.qos)
      payloads.push(msg.payload)
      bytes += msg.payload.length
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
      return new Promise<void>((resolve, reject) => { waiting.set(id, { resolve, reject }) })
    },
    settle ({ ok, failed }) {
      for (const id of ok) {
        const w = waiting.get(id)
        if (w === undefined) continue
        waiting.delete(id)
        w.resolve()
      }
      for (const f of failed) {
        const w = waiting.get(f.id)
        if (w === undefined) continue
        waiting.delete(f.id)
        const code = (f.code in ErrorCodes ? f.code : 'MIMAMORI_ERR_INTERNAL') as ErrorCode
        w.reject(new MimamoriError(code, f.message, f.details === undefined ? undefined : { details: f.details }))
      }
    }
  }
}
