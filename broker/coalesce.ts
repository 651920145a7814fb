import type { Duplex } from 'node:stream'

/**
 * One `writev` per socket per event-loop turn instead of one per MQTT packet.
 *
 * mqtt-packet corks a stream for each packet it writes and uncorks it on the
 * next tick; Aedes delivers every message from its own `setImmediate`, and
 * Node runs the tick queue after each immediate, so a subscriber receiving a
 * fan-in got one `writev` syscall per message (19 % of the broker's CPU in a
 * QoS 1 fan-in profile). Here the first write of a turn corks the stream once
 * more and a single `setImmediate` for all such streams uncorks them, so what
 * a turn wrote to one socket leaves in one syscall, at most one loop turn
 * later. Back-pressure is unchanged: `write()` still returns false past the
 * high-water mark, and 'drain' follows the flush.
 */
const held: Duplex[] = []
let scheduled = false
const HELD = Symbol('mimamori.corkedThisTurn')
const WRITE = Symbol('mimamori.write')

type Held = Duplex & { [HELD]?: boolean, [WRITE]: Duplex['write'] }

function release (): void {
  scheduled = false
  const streams = held.splice(0)
  for (const s of streams as Held[]) {
    s[HELD] = false
    if (s.writableCorked > 0) s.uncork()
  }
}

function coalescedWrite (this: Held, ...args: Parameters<Duplex['write']>): boolean {
  if (this[HELD] !== true && !this.destroyed) {
    this[HELD] = true
    this.cork()
    held.push(this)
    if (!scheduled) {
      scheduled = true
      setImmediate(release)
    }
  }
  return this[WRITE].apply(this, args)
}

export function coalesceWrites (stream: Duplex): void {
  const s = stream as Held
  s[WRITE] = stream.write
  s.write = coalescedWrite as Duplex['write']
}
