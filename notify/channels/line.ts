import { createHash } from 'node:crypto'
import type { Channel } from '../types.js'
import { httpOutcome, transient } from './errors.js'

/** LINE wants a UUID as retry key; derived from our idempotency key so a re-send after a crash carries the same one. */
export function lineRetryKey (key: string): string {
  const h = createHash('sha256').update(key).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * LINE Messaging API push message (LINE Notify ended in 2025). The address is a
 * user, group or room id of the town's official account. With `X-Line-Retry-Key`
 * LINE answers 409 to a request it already accepted: that is a success for us.
 */
export function createLineChannel (o: { baseUrl: string, channelAccessToken: string, timeoutMs: number }): Channel {
  const url = `${o.baseUrl.replace(/\/$/, '')}/v2/bot/message/push`
  return {
    name: 'line',
    async send (n) {
      const text = `${n.title}\n${n.body}`.slice(0, 5000)
      let res: Response
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${o.channelAccessToken}`, 'x-line-retry-key': lineRetryKey(n.key) },
          body: JSON.stringify({ to: n.recipient.address, messages: [{ type: 'text', text }] }),
          signal: AbortSignal.timeout(o.timeoutMs)
        })
      } catch (err) {
        throw transient('line', (err as Error).message, err)
      }
      const body = await res.text().catch(() => '')
      if (res.status === 409) return
      const outcome = httpOutcome('line', res.status, body)
      if (outcome !== null) throw outcome
    }
  }
}
