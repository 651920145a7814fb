import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../core/logger.js'

/**
 * Camera store-and-forward on disk. While the broker cannot be reached, each
 * outgoing message (an image envelope or an on-device detection) is written
 * to its own file in the spool directory; when the link is back the files go
 * out oldest first, each deleted only after the broker acked it (QoS 1). The
 * message carries its capture time, so ingest files it where it belongs.
 *
 * The spool is bounded (bytes and messages). When a new message does not fit,
 * the oldest *burst* is dropped as a whole (a lone frame of a burst could not
 * make a k-of-n sighting anyway). Every drop is counted and logged with the
 * capture times it covered, and delivery after an outage logs a summary —
 * nothing disappears silently. The directory survives a restart of the camera.
 *
 * File: `<seq 12 digits>_<capturedAt ms>_<burstId>.msg`, content = 2-byte
 * big-endian topic length, topic, payload. Written to `.tmp` then renamed,
 * so a power cut never leaves half a message.
 */
export interface SpoolOptions {
  dir: string
  /** total bytes of spooled messages; the oldest bursts go first when exceeded */
  maxBytes: number
  /** most messages kept */
  maxMessages: number
  logger: Logger
}

export interface SpoolStats {
  /** messages written to the spool since start */
  spooled: number
  /** spooled messages delivered (acked) */
  sent: number
  /** messages dropped because the spool was full */
  dropped: number
  droppedBytes: number
  /** bursts dropped whole */
  droppedBursts: number
  /** capture time range of everything dropped, ms (null while nothing was) */
  droppedFrom: number | null
  droppedTo: number | null
}

export interface SpooledMessage {
  file: string
  seq: number
  capturedAt: number
  burstId: string
  bytes: number
}

export interface CameraSpool {
  /** keeps one message for later; drops the oldest bursts if it does not fit */
  put(topic: string, payload: Buffer, meta: { capturedAt: number, burstId: string }): Promise<void>
  /**
   * Sends spooled messages oldest first, deleting each once `send` resolved;
   * stops at the first failure and keeps the rest. Concurrent calls share one run.
   */
  flush(send: (topic: string, payload: Buffer) => Promise<void>): Promise<number>
  readonly size: number
  readonly bytes: number
  readonly stats: Readonly<SpoolStats>
  list(): readonly SpooledMessage[]
}

const NAME = /^(\d{12})_(\d+)_([A-Za-z0-9._-]{1,64})\.msg$/

export function openCameraSpool (o: SpoolOptions): CameraSpool {
  if (!(o.maxBytes > 0) || !Number.isInteger(o.maxMessages) || o.maxMessages < 1) throw new RangeError('spool needs maxBytes > 0 and maxMessages ≥ 1')
  const log = o.logger.child({ component: 'camera-spool' })
  mkdirSync(o.dir, { recursive: true })
  const queue: SpooledMessage[] = []
  for (const f of readdirSync(o.dir).sort()) {
    const m = NAME.exec(f)
    if (m === null) continue
    queue.push({ file: f, seq: Number(m[1]), capturedAt: Number(m[2]), burstId: m[3]!, bytes: statSync(join(o.dir, f)).size })
  }
  let seq = queue.length === 0 ? 0 : queue[queue.length - 1]!.seq
  let bytes = queue.reduce((n, m) => n + m.bytes, 0)
  const stats: SpoolStats = { spooled: 0, sent: 0, dropped: 0, droppedBytes: 0, droppedBursts: 0, droppedFrom: null, droppedTo: null }
  /** drops since the last delivery summary */
  let droppedSinceSummary = 0
  let flushing: Promise<number> | undefined
  /** serialises put/flush file operations so a drop never races a send of the same file */
  let chain: Promise<unknown> = Promise.resolve()
  const serial = async <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn)
    chain = run.catch(() => undefined)
    return await run
  }
  if (queue.length > 0) log.info({ messages: queue.length, bytes }, 'camera spool holds messages from before the restart')

  async function dropOldestBurst (): Promise<void> {
    const burstId = queue[0]!.burstId
    const gone = queue.filter(m => m.burstId === burstId)
    for (const m of gone) {
      await rm(join(o.dir, m.file), { force: true })
      queue.splice(queue.indexOf(m), 1)
      bytes -= m.bytes
      stats.dropped++
      stats.droppedBytes += m.bytes
      stats.droppedFrom = Math.min(stats.droppedFrom ?? m.capturedAt, m.capturedAt)
      stats.droppedTo = Math.max(stats.droppedTo ?? m.capturedAt, m.capturedAt)
    }
    stats.droppedBursts++
    droppedSinceSummary += gone.length
    const times = gone.map(m => m.capturedAt)
    log.warn({
      burst: burstId,
      messages: gone.length,
      capturedFrom: new Date(Math.min(...times)).toISOString(),
      capturedTo: new Date(Math.max(...times)).toISOString(),
      droppedTotal: stats.dropped,
      spoolBytes: bytes,
      maxBytes: o.maxBytes
    }, 'camera spool full: oldest burst dropped')
  }

  return {
    get size () { return queue.length },
    get bytes () { return bytes },
    stats,
    list: () => queue,
    async put (topic, payload, meta) {
      const t = Buffer.from(topic, 'utf8')
      const head = Buffer.alloc(2)
      head.writeUInt16BE(t.length)
      const body = Buffer.concat([head, t, payload])
      if (body.length > o.maxBytes) {
        stats.dropped++
        stats.droppedBytes += body.length
        log.warn({ bytes: body.length, maxBytes: o.maxBytes, burst: meta.burstId }, 'message larger than the whole spool: dropped')
        return
      }
      await serial(async () => {
        while (queue.length > 0 && (bytes + body.length > o.maxBytes || queue.length + 1 > o.maxMessages)) await dropOldestBurst()
        const burst = /^[A-Za-z0-9._-]{1,64}$/.test(meta.burstId) ? meta.burstId : 'burst'
        const file = `${String(++seq).padStart(12, '0')}_${Math.max(0, Math.round(meta.capturedAt))}_${burst}.msg`
        const tmp = join(o.dir, `${file}.tmp`)
        await writeFile(tmp, body)
        await rename(tmp, join(o.dir, file))
        queue.push({ file, seq, capturedAt: meta.capturedAt, burstId: burst, bytes: body.length })
        bytes += body.length
        stats.spooled++
      })
    },
    async flush (send) {
      flushing ??= (async () => {
        let n = 0
        try {
          for (;;) {
            const m = queue[0]
            if (m === undefined) break
            const body = await serial(async () => await readFile(join(o.dir, m.file)).catch(() => null))
            if (body !== null) {
              const len = body.readUInt16BE(0)
              await send(body.subarray(2, 2 + len).toString('utf8'), body.subarray(2 + len))
            }
            await serial(async () => {
              const i = queue.indexOf(m)
              if (i < 0) return // dropped meanwhile (spool full while this one was in flight)
              await rm(join(o.dir, m.file), { force: true })
              queue.splice(i, 1)
              bytes -= m.bytes
            })
            stats.sent++
            n++
          }
        } catch {
          // link still down: the message stays first in line
        } finally {
          flushing = undefined
        }
        if (n > 0) {
          log.info({ delivered: n, left: queue.length, droppedWhileOffline: droppedSinceSummary, droppedTotal: stats.dropped }, queue.length === 0 ? 'camera spool delivered' : 'camera spool partly delivered')
          if (queue.length === 0) droppedSinceSummary = 0
        }
        return n
      })()
      return await flushing
    }
  }
}
