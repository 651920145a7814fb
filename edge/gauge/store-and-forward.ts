import type { GaugeUplinkInput } from '../../codecs/gauge-v1.js'

/**
 * Frames the gauge could not send (link or broker down, airtime budget used
 * up) wait here and go out later with their original observation time
 * (the frame's minute tag covers 45 days). The queue is bounded: when full,
 * the two oldest frames are merged into one that keeps the higher level
 * (flood peaks matter most) and the `backlog` flag. Every merge is counted and
 * reported, so nothing is dropped without a trace.
 *
 * The 11-byte LoRa frame only has room for the `backlog` flag. A gauge with a
 * richer link (a Linux gateway on MQTT) can tell the platform how an outage was
 * delivered: `takeBacklogReport()` gives one report per backlog that has gone
 * out completely.
 */
export interface BufferedFrame {
  input: GaugeUplinkInput
  /** how many original measurements this frame stands for (1 = untouched) */
  represents: number
  /** observation times covered, ms */
  from: number
  to: number
}

export interface StoreAndForwardStats {
  queued: number
  /** measurements folded into another frame because the queue was full */
  summarised: number
  sent: number
  /** sum of `represents` over queued frames + sent: every measurement is accounted for */
  accountedFor: number
}

/** How one backlog was delivered, from the queue going non-empty until it was empty again. */
export interface BacklogReport {
  /** frames sent from the queue (merged frames count once) */
  sent: number
  /** measurements folded into other frames since the previous report (`stats.summarised` delta) */
  summarised: number
  /** observation times the sent frames covered, ms */
  from: number
  to: number
}

export interface StoreAndForward {
  push(input: GaugeUplinkInput): void
  /**
   * Sends queued frames oldest first; stops at the first failure and keeps the
   * rest. `send` gets the frame with the `backlog` flag set.
   */
  flush(send: (frame: GaugeUplinkInput, meta: BufferedFrame) => Promise<void>): Promise<number>
  readonly size: number
  readonly stats: Readonly<StoreAndForwardStats>
  frames(): readonly BufferedFrame[]
  /**
   * Once the queue has been flushed empty: the report for the frames sent since
   * the previous report, which it then starts afresh. `undefined` while frames
   * still wait or when nothing was sent.
   */
  takeBacklogReport(): BacklogReport | undefined
}

export function createStoreAndForward ({ capacity }: { capacity: number }): StoreAndForward {
  if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError('store-and-forward capacity must be an integer ≥ 2')
  const queue: BufferedFrame[] = []
  const stats: StoreAndForwardStats = { queued: 0, summarised: 0, sent: 0, accountedFor: 0 }
  let flushing: Promise<number> | undefined
  /** frames sent since the last report and the observation times they covered */
  let delivered: { sent: number, from: number, to: number } | undefined
  let summarisedAtReport = 0

  const refresh = (): void => {
    stats.queued = queue.length
    stats.accountedFor = stats.sent + queue.reduce((s, f) => s + f.represents, 0)
  }

  function mergeOldest (): void {
    const a = queue[0]!
    const b = queue[1]!
    const keep = peak(a, b)
    const merged: BufferedFrame = {
      input: { ...keep.input, flags: withBacklog(keep.input.flags) },
      represents: a.represents + b.represents,
      from: Math.min(a.from, b.from),
      to: Math.max(a.to, b.to)
    }
    queue.splice(0, 2, merged)
    stats.summarised++
  }

  return {
    get size () { return queue.length },
    stats,
    frames: () => queue,
    push (input) {
      queue.push({ input, represents: 1, from: input.time, to: input.time })
      while (queue.length > capacity) mergeOldest()
      refresh()
    },
    async flush (send) {
      flushing ??= (async () => {
        let n = 0
        try {
          while (queue.length > 0) {
            const f = queue[0]!
            await send({ ...f.input, flags: withBacklog(f.input.flags) }, f)
            queue.shift()
            stats.sent += f.represents
            delivered = delivered === undefined
              ? { sent: 1, from: f.from, to: f.to }
              : { sent: delivered.sent + 1, from: Math.min(delivered.from, f.from), to: Math.max(delivered.to, f.to) }
            n++
            refresh()
          }
        } catch {
          // link still down: the frame stays first in line
        } finally {
          flushing = undefined
          refresh()
        }
        return n
      })()
      return await flushing
    },
    takeBacklogReport () {
      if (queue.length > 0 || delivered === undefined) return undefined
      const report: BacklogReport = { ...delivered, summarised: stats.summarised - summarisedAtReport }
      delivered = undefined
      summarisedAtReport = stats.summarised
      return report
    }
  }
}

/** the frame with the higher level wins; a missing level never beats a real one; ties keep the later */
function peak (a: BufferedFrame, b: BufferedFrame): BufferedFrame {
  const la = a.input.levelM
  const lb = b.input.levelM
  if (la === null) return b
  if (lb === null) return a
  return la > lb ? a : b
}

function withBacklog (flags: GaugeUplinkInput['flags']): NonNullable<GaugeUplinkInput['flags']> {
  const f = flags ?? []
  return f.includes('backlog') ? f : [...f, 'backlog']
}
