import { hostname } from 'node:os'
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import type { PublishPacket } from 'aedes'
import { MimamoriError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { createCounters, type BrokerCounters } from '../context.js'
import type { Broker, BrokerDeps, BrokerPorts } from '../index.js'
import type { FromWorker, WorkerInit } from './protocol.js'
import { brokerWorkerFile, relayLog } from './files.js'
import { createTakeAnswers } from './main-intake.js'
import { callSync, createCalls } from './sync-call.js'

export interface ThreadedBroker extends Broker {
  /** the running thread (tests end it to prove a dead broker thread is noticed and replaced) */
  readonly thread: { terminate(): Promise<number>, readonly restarts: number }
}

export interface ThreadedBrokerDeps extends BrokerDeps {
  /** called when the thread died and could not be started again; the app should shut down */
  onFatal?: (err: MimamoriError) => void
}

interface Snapshot { url: string, counters: BrokerCounters, connectedClients: number }

/**
 * The broker in its own worker thread (broker/thread/worker.ts) behind the same
 * `Broker` interface: the all-in-one's broker socket work no longer shares the event
 * loop of ingest, the store and the dashboard. Ingest frames come in batches and are
 * taken by `intake` here in arrival order; their answers go back in batches, and the
 * worker writes a PUBACK only for a frame answered ok (after ingest's durable commit).
 * The synchronous members (issueCredentials, unlockAuth, counters, connectedClients)
 * are rare calls and wait for the worker's answer (Atomics.wait on a shared flag).
 *
 * A thread that dies is logged (MIMAMORI_ERR_BROKER_THREAD) and started again on the
 * ports it had; devices reconnect and send again what was not PUBACKed (nothing PUBACKed
 * is lost: it was committed first). If it cannot start again, onFatal is called.
 */
export function createThreadedBroker ({ config, logger, intake, onFatal }: ThreadedBrokerDeps): ThreadedBroker {
  const id = config.broker.id !== '' ? config.broker.id : `mimamori-${hostname()}-${process.pid}`
  const log = logger.child({ component: 'broker-thread', brokerId: id })
  const file = brokerWorkerFile()
  const flag = new Int32Array(new SharedArrayBuffer(4))
  let worker: Worker | undefined
  let syncPort: MessagePort | undefined
  let ports: BrokerPorts | undefined
  let last: Snapshot = { url: '', counters: createCounters(), connectedClients: 0 }
  let closing: Promise<void> | undefined
  let restarts = 0
  const calls = createCalls(() => worker)

  function spawn (): Worker {
    const channel = new MessageChannel()
    const brokerConfig = { ...config.broker, id, ...(ports === undefined ? {} : { port: ports.port, wsPort: ports.wsPort, tls: { ...config.broker.tls, port: ports.tlsPort ?? config.broker.tls.port } }) }
    const init: WorkerInit = { config: { broker: brokerConfig, dataDir: config.dataDir, store: config.store }, level: logger.level, intake: intake !== undefined, flag: flag.buffer as SharedArrayBuffer, syncPort: channel.port2 }
    const w = new Worker(file, { workerData: init, transferList: [channel.port2] })
    syncPort?.close()
    syncPort = channel.port1
    const answers = intake === undefined ? undefined : createTakeAnswers(w, () => worker === w, intake)
    w.on('message', (msg: FromWorker) => {
      if (msg.t === 'take') answers?.take(msg)
      else if (msg.t === 'log') relayLog(logger, msg.line)
      else calls.settle(msg)
    })
    w.on('error', err => { log.error({ err, code: 'MIMAMORI_ERR_BROKER_THREAD' }, 'broker thread failed') })
    w.on('exit', code => { if (worker === w) void died(code) })
    return w
  }

  function snapshot (): Snapshot {
    if (worker === undefined || ports === undefined || closing !== undefined) return last
    try {
      last = callSync<Snapshot>(syncPort, flag, 'snapshot')
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'broker thread snapshot failed; last one shown')
    }
    return last
  }

  async function died (exitCode: number): Promise<void> {
    worker = undefined
    calls.rejectAll(new MimamoriError('MIMAMORI_ERR_BROKER_THREAD', `broker thread exited (code ${exitCode})`))
    if (closing !== undefined) return
    log.error({ code: 'MIMAMORI_ERR_BROKER_THREAD', exitCode, restarts }, 'broker thread died; starting it again on the same ports')
    try {
      restarts++
      worker = spawn()
      ports = await calls.call<BrokerPorts>('start')
      log.warn({ ...ports, restarts }, 'broker thread started again')
    } catch (err) {
      const fatal = new MimamoriError('MIMAMORI_ERR_BROKER_THREAD', `broker thread could not start again: ${(err as Error).message}`, { cause: err })
      log.fatal({ err: fatal, code: fatal.code }, 'broker thread lost')
      const w = worker
      worker = undefined
      await w?.terminate()
      onFatal?.(fatal)
    }
  }

  const broker: ThreadedBroker = {
    id,
    get url () { return last.url },
    get counters () { return snapshot().counters },
    get connectedClients () { return snapshot().connectedClients },
    thread: {
      async terminate () { return await (worker?.terminate() ?? Promise.resolve(0)) },
      get restarts () { return restarts }
    },
    issueCredentials (role, accountId, kind) { return callSync(syncPort, flag, 'issueCredentials', role, accountId, kind) },
    unlockAuth (target) { return callSync(syncPort, flag, 'unlockAuth', target) },
    async * retained (filters): AsyncIterable<PublishPacket> {
      if (worker === undefined) return
      const list = await calls.call<Array<{ topic: string, payload: Uint8Array | string, qos: 0 | 1 | 2 }>>('retained', filters)
      for (const p of list) {
        const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength)
        yield { cmd: 'publish', topic: p.topic, payload, qos: p.qos, retain: true, dup: false } as PublishPacket
      }
    },
    async start () {
      worker = spawn()
      try {
        ports = await calls.call<BrokerPorts>('start')
      } catch (err) {
        await broker.close()
        throw err
      }
      last = callSync<Snapshot>(syncPort, flag, 'snapshot')
      return ports
    },
    async close () {
      closing ??= (async () => {
        const w = worker
        if (w === undefined) return
        try {
          last = { ...last, ...await calls.call<Partial<Snapshot>>('close') }
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'broker thread close failed')
        }
        worker = undefined
        syncPort?.close()
        await w.terminate()
      })()
      return await closing
    }
  }
  return broker
}

