import { Type } from 'typebox'

/**
 * The settings of every sender that retries over the network (the outbox drain, the notifier):
 * a timeout per request and a doubling back-off between a first wait and a ceiling.
 */
export function retrySettings (d: { timeoutMs: number, retryMinMs: number, retryMaxMs: number }, what: { request: string, failure: string, ceiling: string }) {
  return {
    timeoutMs: Type.Integer({ minimum: 100, default: d.timeoutMs, description: `${what.request}, ms` }),
    retryMinMs: Type.Integer({ minimum: 1, default: d.retryMinMs, description: `first back-off after a failed ${what.failure}, ms` }),
    retryMaxMs: Type.Integer({ minimum: 1, default: d.retryMaxMs, description: `back-off ceiling, ms${what.ceiling}` })
  }
}
