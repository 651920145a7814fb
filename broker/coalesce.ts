import type { Duplex } from 'node:stream'

/**
 * One write per socket per event-loop turn instead of five per MQTT packet.
 *
 * mqtt-packet writes a PUBLISH as five small chunks (header, length, topic
 * length, topic, payload), corking the stream for each packet and uncorking on
 * the next tick; Aedes delivers every message from its own `setImmediate`, and
 * Node runs the tick queue after each immediate, so a subscriber receiving a
 * fan-in got one `writev` syscall per message (19 % of the broker's CPU in a
 * QoS 1 fan-in profile), and even corked, every chunk was a queued write request
 * of the stream. Here the chunks of a turn are gathered in an array of our own
 * and a single `setImmediate` for all such streams writes each one's chunks as
 * one buffer: one write request and one syscall per socket per turn, at most one
 * loop turn later. mqtt-packet's per-packet cork and next-tick uncork are
 * skipped (`cork` is hidden from it; it calls it only when present).
 *
 * Back-pressure is unchanged: once what is gathered and what the stream already
 * holds reach its high-water mark, the gathered chunks are written at once and
 * the stream's own answer (false, then 'drain') is returned. A write with a
 * callback, `end()` and `uncork()` first write what is gathered, so order holds.
 */
const held: Gathering[] = []
let scheduled = false
const CHUNKS = Symbol('mimamori.gathered')
const BYTES = Symbol('mimamori.gatheredBytes')
const WRITE = Symbol('mimamori.write')

type RawWrite = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean
type Gathering = Duplex & { [CHUNKS]: Buffer[] | undefined, [BYTES]: number, [WRITE]: RawWrite }

/** writes what the stream gathered as one chunk; returns the stream's answer */
function flushGathered (s: Gathering): boolean {
  const chunks = s[CHUNKS]
  if (chunks === undefined) return true
  s[CHUNKS] = undefined
  const bytes = s[BYTES]
  s[BYTES] = 0
  if (s.destroyed) return false
  return s[WRITE].call(s, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes))
}

function release (): void {
  scheduled = false
  const streams = held.splice(0)
  for (const s of streams) flushGathered(s)
}

function gatheringWrite (this: Gathering, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  if (typeof encoding === 'function' || typeof cb === 'function' || this.destroyed || this.writableEnded) {
    flushGathered(this)
    return this[WRITE].call(this, chunk, encoding, cb)
  }
  const buf = typeof chunk === 'string' ? Buffer.from(chunk, (encoding as BufferEncoding | undefined) ?? 'utf8') : chunk as Buffer
  let chunks = this[CHUNKS]
  if (chunks === undefined) {
    chunks = this[CHUNKS] = []
    held.push(this)
    if (!scheduled) {
      scheduled = true
      setImmediate(release)
    }
  }
  chunks.push(buf)
  this[BYTES] += buf.length
  if (this[BYTES] + this.writableLength >= this.writableHighWaterMark) return flushGathered(this)
  return true
}

export function coalesceWrites (stream: Duplex): void {
  const s = stream as Gathering
  s[CHUNKS] = undefined
  s[BYTES] = 0
  s[WRITE] = stream.write as RawWrite
  s.write = gatheringWrite as Duplex['write']
  const end = stream.end as (...a: unknown[]) => Duplex
  ;(s as { end: unknown }).end = function (this: Gathering, ...args: unknown[]): Duplex {
    flushGathered(this)
    return end.apply(this, args)
  }
  const uncork = stream.uncork
  s.uncork = function (this: Gathering) { flushGathered(this); uncork.call(this) }
  // mqtt-packet corks and schedules an uncork per packet only `if (stream.cork)`: gathering does that job
  ;(s as { cork: unknown }).cork = undefined
}
