import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { ADMIN } from '../auth/access.js'
import { ErrorBody } from '../../contract/schemas.js'

/** lifts the broker's CONNECT brute-force limits (broker/auth-guard.ts); the all-in-one passes its broker's */
export type UnlockMqtt = (target?: string) => number

/**
 * POST /api/admin/mqtt-unlock `{ "target": "10.0.0.7" | "gauge-12" }` (none = every address and id):
 * an admin lets a gateway's devices in at once instead of waiting out the window. Audited.
 */
export const mqttAdminRoutes: FastifyPluginAsyncTypebox<{ unlockMqtt?: UnlockMqtt }> = async (app, { unlockMqtt }) => {
  app.post('/api/admin/mqtt-unlock', {
    config: { access: ADMIN, audit: 'mqtt.unlock' },
    schema: {
      body: Type.Object({ target: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ cleared: Type.Integer() }), 503: ErrorBody }
    }
  }, async request => {
    if (unlockMqtt === undefined) throw new MimamoriError('MIMAMORI_ERR_MQTT', 'this dashboard does not run the broker (the limits of a separate broker expire with broker.limits.authWindowMs)')
    return { cleared: unlockMqtt(request.body.target) }
  })
}
