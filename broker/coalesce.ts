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
 * one buffer (copied into it as they come: no object per chunk): one write request and one syscall per socket per turn, at most one
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
const BUF = Symbol('mimamori.gathered')
const LEN = Symbol('mimamori.gatheredBytes')
const WRITE = Symbol('mimamori.write')
/** bytes this gathering may reach before it is written: the high-water mark less what the stream held when it began */
const ROOM = Symbol('mimamori.gatheringRoom')
/** a turn's first gathering buffer; it grows by doubling. Chunks this large bypass it (after what is gathered). */
const FIRST_BYTES = 2048
const BYPASS_BYTES = 8192

type RawWrite = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean
type Gathering = Duplex & { [BUF]: Buffer | undefined, [LEN]: number, [ROOM]: number, [WRITE]: RawWrite }

/** writes what the stream gathered as one chunk (a fresh buffer each time: the stream keeps it); returns the stream's answer */
function flushGathered (s: Gathering): boolean {
  const buf = s[BUF]
  if (buf === undefined) return true
  const len = s[LEN]
  s[BUF] = undefined
  s[LEN] = 0
  if (s.destroyed) return false
  return s[WRITE].call(s, buf.subarray(0, len))
}

function release (): void {
  scheduled = false
  const streams = held.splice(0)
  for (const s of streams) flushGathered(s)
}

/** room for `bytes` more in the stream's gathering buffer, started (and the stream queued) when needed */
function room (s: Gathering, bytes: number): Buffer {
  let buf = s[BUF]
  const len = s[LEN]
  if (buf === undefined) {
    buf = s[BUF] = Buffer.allocUnsafe(Math.max(FIRST_BYTES, bytes))
    // the stream's own queue only shrinks while we gather (its writes complete; ours wait for the flush)
    s[ROOM] = s.writableHighWaterMark - s.writableLength
    held.push(s)
    if (!scheduled) {
      scheduled = true
      setImmediate(release)
    }
  } else if (len + bytes > buf.length) {
    const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, len + bytes))
    buf.copy(grown, 0, 0, len)
    buf = s[BUF] = grown
  }
  return buf
}

/** chunks up to this size are copied byte by byte: Buffer#copy and the native utf8 write cost more than the loop for mqtt-packet's 1–2 byte headers and short topics */
const SMALL_BYTES = 32

/** copies a short ASCII string into `buf` at `at`; -1 (nothing written) when it holds a character ≥ 0x80 */
function copyAscii (s: string, buf: Buffer, at: number): number {
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return -1
    buf[at + i] = c
  }
  return n
}

/** what is gathered, then this chunk, written as they are (a callback, a large chunk, an ended or destroyed stream) */
function passThrough (s: Gathering, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  flushGathered(s)
  return s[WRITE].call(s, chunk, encoding, cb)
}

function gatheringWrite (this: Gathering, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  // while a gathering is under way the stream cannot have ended: end() writes it first
  if (typeof encoding === 'function' || typeof cb === 'function' || this.destroyed || (this[BUF] === undefined && this.writableEnded)) {
    return passThrough(this, chunk, encoding, cb)
  }
  let len = this[LEN]
  if (typeof chunk === 'string') {
    const s = chunk as string
    const enc = (encoding as BufferEncoding | undefined) ?? 'utf8'
    const ascii = s.length <= SMALL_BYTES && (enc === 'utf8' || enc === 'utf-8') ? copyAscii(s, room(this, s.length), len) : -1
    if (ascii >= 0) len += ascii
    else {
      const bytes = Buffer.byteLength(s, enc)
      len += room(this, bytes).write(s, len, bytes, enc)
    }
  } else if (Buffer.isBuffer(chunk) && chunk.length < BYPASS_BYTES) {
    const b = chunk
    const n = b.length
    const buf = room(this, n)
    if (n <= SMALL_BYTES) for (let i = 0; i < n; i++) buf[len + i] = b[i]!
    else b.copy(buf, len)
    len += n
  } else return passThrough(this, chunk, encoding, cb)
  this[LEN] = len
  if (len >= this[ROOM]) return flushGathered(this)
  return true
}

export function coalesceWrites (stream: Duplex): void {
  const s = stream as Gathering
  s[BUF] = undefined
  s[LEN] = 0
  s[ROOM] = 0
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
