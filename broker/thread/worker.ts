import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { pino } from 'pino'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError, type ErrorCode } from '../../core/errors.js'
import { createBroker, type Broker } from '../index.js'
import { createBatchedIntake } from './intake.js'
import type { Call, Reply, ToWorker, WorkerInit } from './protocol.js'

/**
 * The broker's thread (broker/thread/host.ts starts it): Aedes, its listeners, the
 * device registry's own SQLite connection and the level persistence run here, on their
 * own event loop; ingest, the store and the dashboard stay in the main thread.
 * Ingest frames cross in batches (broker/thread/intake.ts); a frame's PUBACK is
 * written only when the main thread answered that ingest settled it durably.
 */
const init = workerData as WorkerInit
const port = parentPort!
// one JSON line per record, printed by the main thread's logger (host.ts), so one stream holds all logs
const logger = pino({ level: init.level }, { write: (line: string) => { port.postMessage({ t: 'log', line }) } })
const intake = init.intake ? createBatchedIntake(port) : undefined
const broker: Broker = createBroker({ config: init.config as Config, logger, ...(intake === undefined ? {} : { intake }) })

/** the answers of the main thread's calls; sync ones go back on the sync port and wake the waiting main thread */
async function answer (call: Call): Promise<Reply> {
  try {
    return { t: 'reply', id: call.id, value: await invoke(call) }
  } catch (err) {
    const e = err as Error & { code?: string }
    return { t: 'reply', id: call.id, error: { code: e.code ?? 'MIMAMORI_ERR_INTERNAL', message: e.message } }
  }
}

async function invoke ({ method, args }: Call): Promise<unknown> {
  switch (method) {
    case 'start': return await broker.start()
    case 'close': await broker.close(); return { url: broker.url }
    case 'retained': {
      const out: Array<{ topic: string, payload: Buffer | string, qos: number }> = []
      for await (const p of broker.retained(args[0] as string[])) out.push({ topic: p.topic, payload: p.payload, qos: p.qos })
      return out
    }
    case 'issueCredentials': return broker.issueCredentials(...(args as Parameters<Broker['issueCredentials']>))
    case 'unlockAuth': return broker.unlockAuth(args[0] as string | undefined)
    case 'snapshot': return { url: broker.url, counters: broker.counters, connectedClients: broker.connectedClients }
  }
  throw new MimamoriError('MIMAMORI_ERR_INTERNAL' satisfies ErrorCode, `unknown broker call ${String(method)}`)
}

port.on('message', (msg: ToWorker) => {
  if (msg.t === 'settled') { intake?.settle(msg); return }
  void answer(msg).then(reply => { port.postMessage(reply) })
})

const flag = new Int32Array(init.flag)
const sync: MessagePort = init.syncPort
sync.on('message', (call: Call) => {
  void answer(call).then(reply => {
    sync.postMessage(reply)
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
  })
})
