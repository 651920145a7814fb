import type { Agent } from 'node:https'
import webpush, { WebPushError, type PushSubscription } from 'web-push'
import type { Channel, Notification } from '../types.js'
import { httpOutcome, refused, transient } from './errors.js'

export interface WebPushOptions {
  publicKey: string
  privateKey: string
  subject: string
  ttlSeconds: number
  timeoutMs: number
  /** for a proxy or a push service behind a private CA */
  agent?: Agent | undefined
}

/** What the service worker receives (dashboard/web/public/sw.js reads these keys). Kept well under the 4 KiB push limit. */
export function pushPayload (n: Notification): string {
  const alert = n.alert
  return JSON.stringify({
    key: n.key,
    kind: n.kind,
    drill: n.drill,
    level: n.level,
    title: n.title,
    body: n.body.slice(0, 1200),
    url: n.url,
    tag: n.tag,
    alertId: alert?.id ?? null,
    sightingId: typeof alert?.details.sightingId === 'string' ? alert.details.sightingId : null,
    advisoryId: n.advisory?.id ?? null
  })
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption
 * (RFC 8291), all done by the `web-push` library. The address is the browser's
 * PushSubscription as JSON; a 404/410 from the push service means the browser
 * dropped it.
 */
export function createWebPushChannel (o: WebPushOptions): Channel {
  const vapidDetails = { subject: o.subject, publicKey: o.publicKey, privateKey: o.privateKey }
  return {
    name: 'webpush',
    async send (n) {
      let sub: PushSubscription
      try {
        sub = JSON.parse(n.recipient.address) as PushSubscription
        if (typeof sub.endpoint !== 'string' || typeof sub.keys?.p256dh !== 'string' || typeof sub.keys.auth !== 'string') throw new Error('endpoint and keys.p256dh/auth are required')
      } catch (err) {
        throw refused('webpush', `bad subscription: ${(err as Error).message}`, err)
      }
      try {
        await webpush.sendNotification(sub, pushPayload(n), {
          vapidDetails,
          TTL: o.ttlSeconds,
          timeout: o.timeoutMs,
          urgency: (n.level ?? 0) >= 4 || n.kind === 'alert.escalated' || n.kind.startsWith('advisory.') ? 'high' : 'normal',
          contentEncoding: 'aes128gcm',
          ...(o.agent === undefined ? {} : { agent: o.agent })
        })
      } catch (err) {
        if (err instanceof WebPushError) throw httpOutcome('webpush', err.statusCode, err.body) ?? transient('webpush', err.message, err)
        throw transient('webpush', (err as Error).message, err)
      }
    }
  }
}
