import type { MessagePort } from 'node:worker_threads'

export type PacketQos = 0 | 1 | 2

/**
 * What crosses between the broker's worker thread (broker/thread/worker.ts) and the
 * main thread (broker/thread/host.ts). Frames and answers travel in batches, one
 * message per event-loop turn, so the hop costs one postMessage per turn, not per frame.
 */

/** worker → main: the ingest frames of one turn; payloads packed into one transferred buffer */
export interface TakeBatch {
  t: 'take'
  /** id of the first frame; the others follow one by one */
  first: number
  topics: string[]
  qos: PacketQos[]
  /** end offset of each payload in `bytes` */
  ends: Uint32Array
  bytes: ArrayBuffer
}

/** main → worker: settled frames of one turn (ok ids, and failed ones with their error) */
export interface TakeAnswers {
  t: 'settled'
  ok: number[]
  failed: Array<{ id: number, code: string, message: string, details?: Record<string, unknown> }>
}

export type BrokerMethod = 'start' | 'close' | 'retained' | 'issueCredentials' | 'unlockAuth' | 'snapshot'

/** main → worker: a call; sync calls come on the sync port and are answered through the shared flag */
export interface Call { t: 'call', id: number, method: BrokerMethod, args: unknown[] }
/** worker → main: the answer of a call */
export interface Reply { t: 'reply', id: number, value?: unknown, error?: { code: string, message: string } }
/** worker → main: one log record (the worker's pino writes JSON lines; the main logger prints them) */
export interface LogLine { t: 'log', line: string }

export type FromWorker = TakeBatch | Reply | LogLine
export type ToWorker = TakeAnswers | Call

export interface WorkerInit {
  config: unknown
  level: string
  /** the all-in-one's ingest sits in the main thread: hand ingest topics over (TakeBatch) */
  intake: boolean
  /** the sync-call channel: Int32Array flag over this buffer + a MessagePort */
  flag: SharedArrayBuffer
  syncPort: MessagePort
}
