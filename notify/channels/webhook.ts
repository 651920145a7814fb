import { createHmac } from 'node:crypto'
import type { Channel, Notification } from '../types.js'
import { httpOutcome, transient } from './errors.js'

export const SIGNATURE_HEADER = 'x-mimamori-signature'
export const TIMESTAMP_HEADER = 'x-mimamori-timestamp'

/** `sha256=` + hex HMAC-SHA256 over `${timestamp}.${body}`: the timestamp is signed, so a captured request cannot be replayed later */
export function signWebhook (secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

export function webhookBody (n: Notification): string {
  return JSON.stringify({
    id: n.key,
    kind: n.kind,
    drill: n.drill,
    level: n.level,
    severity: n.severity,
    title: n.title,
    body: n.body,
    url: n.url,
    alert: n.alert,
    advisory: n.advisory,
    step: n.step,
    createdAt: new Date(n.createdAt).toISOString()
  })
}

/**
 * Signed webhook: POST JSON to the subscription's URL with the signature and
 * timestamp headers and the idempotency key (`Idempotency-Key`), so a receiver
 * drops a retry it already processed.
 */
export function createWebhookChannel (o: { secret: string, timeoutMs: number }): Channel {
  return {
    name: 'webhook',
    async send (n) {
      const body = webhookBody(n)
      const ts = String(Math.floor(Date.now() / 1000))
      let res: Response
      try {
        res = await fetch(n.recipient.address, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'mimamori-notify/1',
            'idempotency-key': n.key,
            [TIMESTAMP_HEADER]: ts,
            [SIGNATURE_HEADER]: signWebhook(o.secret, ts, body)
          },
          body,
          signal: AbortSignal.timeout(o.timeoutMs)
        })
      } catch (err) {
        throw transient('webhook', (err as Error).message, err)
      }
      const text = await res.text().catch(() => '')
      const outcome = httpOutcome('webhook', res.status, text)
      if (outcome !== null) throw outcome
    }
  }
}
