import { createHmac, timingSafeEqual } from 'node:crypto'
import { MimamoriError } from '../../core/errors.js'

/**
 * The generic uplink webhook's signature: HMAC-SHA256 over
 * `<unix seconds>.<raw body>` with the key named by X-Mimamori-Key, sent as
 * `X-Mimamori-Signature: sha256=<hex>` with `X-Mimamori-Timestamp`. The
 * timestamp inside the MAC bounds a captured request to the replay window; a
 * repeat inside the window is the same frame and is stored once anyway
 * (DevEUI + frame counter), and the exact signature is refused a second time.
 */
export function signUplink (secret: string, timestampS: number, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestampS}.`).update(body).digest('hex')
}

export interface VerifyInput {
  secrets: ReadonlyArray<{ id: string, secret: string }>
  keyId: string | undefined
  timestamp: string | undefined
  signature: string | undefined
  body: Buffer
  nowMs: number
  windowS: number
}

export function verifyUplinkSignature (v: VerifyInput): void {
  const key = v.secrets.find(s => s.id === v.keyId)
  if (key === undefined || v.signature === undefined || v.timestamp === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_WEBHOOK_SIGNATURE', 'X-Mimamori-Key, X-Mimamori-Timestamp and X-Mimamori-Signature are required and the key must be configured')
  }
  if (!/^\d{1,12}$/.test(v.timestamp)) throw new MimamoriError('MIMAMORI_ERR_WEBHOOK_SIGNATURE', 'X-Mimamori-Timestamp is not unix seconds')
  const ts = Number(v.timestamp)
  const expected = Buffer.from(signUplink(key.secret, ts, v.body))
  const got = Buffer.from(v.signature)
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new MimamoriError('MIMAMORI_ERR_WEBHOOK_SIGNATURE', 'signature does not match the body')
  if (Math.abs(v.nowMs / 1000 - ts) > v.windowS) throw new MimamoriError('MIMAMORI_ERR_WEBHOOK_REPLAY', `timestamp is more than ${v.windowS} s away from now`)
}

/** Signatures seen within the window: the exact same request is not accepted twice. */
export function createReplayGuard (windowS: number): { seen(signature: string, nowMs: number): boolean } {
  const seen = new Map<string, number>()
  return {
    seen (signature, nowMs) {
      for (const [s, at] of seen) {
        if (at >= nowMs - 2 * windowS * 1000) break
        seen.delete(s)
      }
      if (seen.has(signature)) return true
      seen.set(signature, nowMs)
      return false
    }
  }
}
