import { isMimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { DeliveryRow, NotifyStore } from './store.js'
import type { Channel, ChannelName, ChannelStatus, Notification } from './types.js'

export interface DrainOptions {
  store: NotifyStore
  channels: Map<ChannelName, Channel>
  /** the message for one delivery; undefined when its event is gone (pruned) */
  build: (delivery: DeliveryRow) => Notification | undefined
  logger: Logger
  batchSize: number
  concurrency: number
  timeoutMs: number
  retryMinMs: number
  retryMaxMs: number
  maxAttempts: number
  clock: () => number
  onSent?: (n: Notification, channel: ChannelName) => void
  /** the address is gone for good (push subscription expired …) */
  onGone?: (delivery: DeliveryRow) => void
}

export interface ChannelCounters extends Omit<ChannelStatus, 'enabled' | 'drills' | 'pending'> {}

/**
 * Sends due deliveries, each claimed with a lease first (state `sending`), so a
 * crash mid-send leaves it to be claimed again once the lease ends: nothing is
 * lost, and the rare re-send carries the same idempotency key. Failures back
 * off exponentially with jitter; 404/410-type answers give up at once.
 */
export function createDeliveryDrain (o: DrainOptions): { round(): Promise<number>, stats: Map<ChannelName, ChannelCounters> } {
  const log = o.logger.child({ component: 'notify-drain' })
  const stats = new Map<ChannelName, ChannelCounters>()
  const counters = (channel: ChannelName): ChannelCounters => {
    let c = stats.get(channel)
    if (c === undefined) {
      c = { channel, sent: 0, failedAttempts: 0, givenUp: 0, consecutiveFailures: 0, lastSentAt: null, lastError: null, lastErrorAt: null }
      stats.set(channel, c)
    }
    return c
  }
  const backoff = (attempts: number): number => {
    const base = Math.min(o.retryMaxMs, o.retryMinMs * 2 ** Math.min(30, attempts - 1))
    return Math.round(base * (0.75 + Math.random() * 0.5))
  }

  async function deliver (d: DeliveryRow): Promise<void> {
    const c = counters(d.channel)
    const channel = o.channels.get(d.channel)
    const now = o.clock()
    if (channel === undefined) {
      o.store.markFailed(d.id, `channel ${d.channel} is not configured`)
      c.givenUp++
      return
    }
    const n = o.build(d)
    if (n === undefined) {
      o.store.markFailed(d.id, 'event no longer exists')
      c.givenUp++
      return
    }
    try {
      await channel.send(n)
      o.store.markSent(d.id, o.clock())
      c.sent++
      c.consecutiveFailures = 0
      c.lastSentAt = o.clock()
      o.onSent?.(n, d.channel)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      c.failedAttempts++
      c.consecutiveFailures++
      c.lastError = message
      c.lastErrorAt = now
      const permanent = isMimamoriError(err) && err.code === 'MIMAMORI_ERR_NOTIFY_GONE'
      if (permanent || d.attempts >= o.maxAttempts) {
        o.store.markFailed(d.id, message)
        c.givenUp++
        log.warn({ channel: d.channel, delivery: d.id, attempts: d.attempts, err: message }, permanent ? 'notification refused: given up' : 'notification failed too often: given up')
        if (permanent && (err as { details?: { refused?: boolean } }).details?.refused !== true) o.onGone?.(d)
      } else {
        const wait = backoff(d.attempts)
        o.store.markRetry(d.id, o.clock() + wait, message)
        if (c.consecutiveFailures === 1 || c.consecutiveFailures % 50 === 0) log.warn({ channel: d.channel, attempts: d.attempts, retryInMs: wait, err: message }, 'notification channel failing; will retry')
      }
    }
  }

  return {
    stats,
    async round () {
      const due = o.store.claimDue(o.clock(), o.batchSize, o.timeoutMs * 3)
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < due.length) {
          const d = due[next++]!
          await deliver(d)
        }
      }
      await Promise.all(Array.from({ length: Math.min(o.concurrency, due.length) }, worker))
      return due.length
    }
  }
}
