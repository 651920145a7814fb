import { receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads'
import { MimamoriError } from '../../core/errors.js'
import { toError } from './files.js'
import type { BrokerMethod, Reply } from './protocol.js'

const SYNC_TIMEOUT_MS = 5_000
let nextId = 1

/**
 * A rare synchronous Broker member (issueCredentials, unlockAuth, counters,
 * connectedClients) answered by the broker thread: the call goes on the sync port and
 * the main thread waits, bounded, on the shared flag the worker raises after replying.
 */
export function callSync<T> (port: MessagePort | undefined, flag: Int32Array, method: BrokerMethod, ...args: unknown[]): T {
  if (port === undefined) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'broker thread not running')
  const n = nextId++
  Atomics.store(flag, 0, 0)
  port.postMessage({ t: 'call', id: n, method, args })
  const deadline = Date.now() + SYNC_TIMEOUT_MS
  for (;;) {
    Atomics.wait(flag, 0, 0, Math.max(1, deadline - Date.now()))
    Atomics.store(flag, 0, 0)
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const reply = m.message as Reply
      if (reply.id !== n) continue
      if (reply.error !== undefined) throw toError(reply.error)
      return reply.value as T
    }
    if (Date.now() >= deadline) throw new MimamoriError('MIMAMORI_ERR_BROKER_THREAD', `broker thread did not answer ${method} within ${SYNC_TIMEOUT_MS} ms`)
  }
}

interface Pending { resolve: (v: unknown) => void, reject: (err: Error) => void }

/** the asynchronous calls (start, close, retained): posted to the current worker, settled by its Reply */
export function createCalls (current: () => Worker | undefined): {
  call<T>(method: BrokerMethod, ...args: unknown[]): Promise<T>
  settle(reply: Reply): void
  rejectAll(err: Error): void
} {
  const calls = new Map<number, Pending>()
  return {
    async call<T> (method: BrokerMethod, ...args: unknown[]): Promise<T> {
      const w = current()
      if (w === undefined) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'broker thread not running')
      const n = nextId++
      return await new Promise<T>((resolve, reject) => {
        calls.set(n, { resolve: resolve as (v: unknown) => void, reject })
        w.postMessage({ t: 'call', id: n, method, args })
      })
    },
    settle (reply) {
      const p = calls.get(reply.id)
      if (p === undefined) return
      calls.delete(reply.id)
      if (reply.error !== undefined) p.reject(toError(reply.error))
      else p.resolve(reply.value)
    },
    rejectAll (err) {
      for (const p of calls.values()) p.reject(err)
      calls.clear()
    }
  }
}
