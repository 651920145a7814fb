import { MimamoriError } from '../../core/errors.js'

/** The peer says this address is gone (410, unknown user): retrying can never help. */
export function gone (channel: string, message: string, cause?: unknown): MimamoriError {
  return new MimamoriError('MIMAMORI_ERR_NOTIFY_GONE', `${channel}: ${message}`, { cause, details: { channel } })
}

/** The peer refused this message for what it is (4xx other than timeouts and rate limits): give up on it. */
export function refused (channel: string, message: string, cause?: unknown): MimamoriError {
  return new MimamoriError('MIMAMORI_ERR_NOTIFY_GONE', `${channel} refused: ${message}`, { cause, details: { channel, refused: true } })
}

/** Unreachable, 5xx, timeout, 429: try again after a back-off. */
export function transient (channel: string, message: string, cause?: unknown): MimamoriError {
  return new MimamoriError('MIMAMORI_ERR_NOTIFY_CHANNEL', `${channel}: ${message}`, { cause, details: { channel } })
}

/** HTTP status → the error the drain acts on; null for success. */
export function httpOutcome (channel: string, status: number, text: string): MimamoriError | null {
  if (status >= 200 && status < 300) return null
  const what = `HTTP ${status} ${text.slice(0, 200)}`
  if (status === 404 || status === 410) return gone(channel, what)
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return refused(channel, what)
  return transient(channel, what)
}
