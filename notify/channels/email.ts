import nodemailer from 'nodemailer'
import type { Channel } from '../types.js'
import { gone, transient } from './errors.js'

export interface EmailOptions {
  host: string
  port: number
  secure: boolean
  user: string
  pass: string
  from: string
  timeoutMs: number
}

/**
 * E-mail over SMTP with nodemailer (pooled connections). The Message-ID is the
 * idempotency key, so a message re-sent after a crash threads onto (and can be
 * de-duplicated against) the first one. A 5xx reply about the recipient is
 * permanent; everything else is retried.
 */
export function createEmailChannel (o: EmailOptions): Channel {
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    pool: true,
    maxConnections: 4,
    ...(o.user === '' ? {} : { auth: { user: o.user, pass: o.pass } }),
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs
  })
  return {
    name: 'email',
    async send (n) {
      try {
        await transport.sendMail({
          from: o.from,
          to: n.recipient.address,
          subject: n.title,
          text: n.body,
          messageId: `<${n.key.replace(/[^A-Za-z0-9.:-]/g, '-')}@mimamori>`,
          priority: (n.level ?? 0) >= 4 ? 'high' : 'normal',
          headers: { 'X-Mimamori-Key': n.key, 'X-Mimamori-Kind': n.kind, ...(n.drill ? { 'X-Mimamori-Drill': 'true' } : {}) }
        })
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode
        if (code !== undefined && code >= 550 && code <= 553) throw gone('email', (err as Error).message, err)
        throw transient('email', (err as Error).message, err)
      }
    },
    async close () { transport.close() }
  }
}
