import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** sent only to the sign-in route; browsers cap cookie lifetimes at 400 days */
const PATH = '/api/auth/login'
const MAX_AGE_S = 400 * 86_400

/**
 * "This browser signed in to this account before": a signed cookie set at every
 * successful sign-in (HttpOnly, SameSite=Strict, only sent to the sign-in route).
 * It proves nothing by itself (the password is still checked); it only lets the
 * right password through while the account is locked for clients it has not seen
 * (login-guard.ts). One cookie per account, named from a MAC of the user id so
 * the name says nothing about who signed in.
 */
export interface KnownDevices {
  /** the device id when the request holds a valid cookie for this user */
  read(request: FastifyRequest, userId: string): string | undefined
  /** sets (or renews) the cookie for this user, keeping the device id it had */
  remember(request: FastifyRequest, reply: FastifyReply, userId: string): void
}

export function createKnownDevices (secret: string): KnownDevices {
  const key = createHmac('sha256', secret).update('mimamori known-device v1').digest()
  const mac = (s: string): string => createHmac('sha256', key).update(s).digest('base64url')
  const nameOf = (userId: string): string => `mimamori_kd_${mac(`name:${userId}`).slice(0, 16).replace(/[^A-Za-z0-9]/g, 'x')}`

  const read = (request: FastifyRequest, userId: string): string | undefined => {
    const value = request.cookies[nameOf(userId)]
    if (value === undefined) return undefined
    const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value)
    if (m === null) return undefined
    const want = Buffer.from(mac(`device:${userId}:${m[1]!}`))
    const sent = Buffer.from(m[2]!)
    return want.length === sent.length && timingSafeEqual(want, sent) ? m[1]! : undefined
  }

  return {
    read,
    remember (request, reply, userId) {
      const device = read(request, userId) ?? randomBytes(16).toString('base64url')
      void reply.setCookie(nameOf(userId), `${device}.${mac(`device:${userId}:${device}`)}`, {
        path: PATH, httpOnly: true, sameSite: 'strict', secure: 'auto', maxAge: MAX_AGE_S
      })
    }
  }
}
