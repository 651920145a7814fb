import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { User } from './accounts.js'
import type { AuditLog } from './audit.js'
import type { DemoLink } from './demo-link.js'
import { isLoopbackPeer, newCsrfToken } from './hook.js'

export interface DemoRouteOptions {
  link: DemoLink
  /** the demo staff user, or undefined when it is missing or disabled */
  user: () => User | undefined
  audit: AuditLog
}

/**
 * GET /api/auth/demo?token=…: the link printed on the terminal at start. Both must
 * hold: the TCP peer is this machine (the socket's address, never X-Forwarded-For
 * or Host) and the token is the one now valid. A proxy or a forwarder on this
 * machine passes the first, never the second. The token is spent on use; the
 * session it gives is an ordinary cookie session (CSRF token and all).
 */
export const demoRoutes: FastifyPluginAsyncTypebox<DemoRouteOptions> = async (app, { link, user, audit }) => {
  app.get('/api/auth/demo', {
    config: { access: 'public' },
    schema: { querystring: Type.Object({ token: Type.String({ minLength: 1, maxLength: 100 }) }) }
  }, async (request, reply) => {
    const record = (status: number, why?: string): void => {
      audit.record({ actor: status < 400 ? user()?.username ?? null : null, role: status < 400 ? 'staff' : null, via: 'demo', ip: request.socket.remoteAddress ?? null, action: 'login.demo', subject: null, detail: { status, ...(why === undefined ? {} : { why }) } })
    }
    void reply.header('cache-control', 'no-store')
    // a peer elsewhere never spends the token (it could not know it anyway)
    if (!isLoopbackPeer(request.socket.remoteAddress)) {
      record(403, 'not from this machine')
      throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'the demo sign-in link works only in a browser on the machine running mimamori')
    }
    if (!link.consume(request.query.token)) {
      record(403, 'token wrong or used')
      throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'this demo sign-in link is wrong or was used already; the terminal running mimamori shows the current one')
    }
    const demo = user()
    if (demo === undefined) {
      record(403, 'demo user missing or disabled')
      throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'the demo user is missing or disabled')
    }
    // a new id: an id planted before never becomes a signed-in session
    await request.session.regenerate()
    request.session.set('userId', demo.id)
    request.session.set('demo', true)
    request.session.set('csrf', newCsrfToken())
    record(303)
    return await reply.redirect('/', 303)
  })
}
