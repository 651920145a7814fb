import { timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import { parseGenericUp, parseTtsUp } from '../../../codecs/lorawan/uplink.js'
import { createReplayGuard, verifyUplinkSignature } from '../../../codecs/lorawan/webhook-auth.js'
import { listDeviceProfiles } from '../../../codecs/vendor/profiles.js'
import { OPERATORS } from '../auth/access.js'
import { ErrorBody } from '../../contract/schemas.js'

/**
 * Hands a network server's uplink to ingest: the all-in-one publishes it QoS 1
 * as a network-server account on `lorawan/{devEui}/up` or `v3/…/up`, so it takes
 * the same path (broker → ingest, dedupe, codec, QC) as one sent over MQTT.
 */
export type ForwardUplink = (topic: string, payload: Buffer) => Promise<void>

const Profile = Type.Object({ id: Type.String(), vendor: Type.String(), model: Type.String(), measures: Type.Union([Type.Literal('distance'), Type.Literal('level'), Type.Literal('depth')]), unit: Type.String() })
const Accepted = Type.Object({ accepted: Type.Boolean() })

/**
 * Device profiles for the commissioning form, and the two uplink webhooks
 * (docs/devices.md): the generic one signed with HMAC-SHA256 over timestamp and
 * body, and The Things Stack's with the Bearer token set as a webhook header.
 * Both are `public` for the session/token auth (a network server has no
 * account) and authenticate by their own secret before anything is parsed.
 */
export const lorawanRoutes: FastifyPluginAsyncTypebox<{ config: Config, forwardUplink?: ForwardUplink | undefined }> = async (app, { config, forwardUplink }) => {
  const cfg = config.lorawan
  app.get('/api/devices/profiles', {
    config: { access: OPERATORS },
    schema: { response: { 200: Type.Array(Profile) } }
  }, async () => listDeviceProfiles(cfg.profiles))

  // the HMAC covers the exact bytes received: keep the body raw in this plugin
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  const replay = createReplayGuard(cfg.webhook.replayWindowS)
  const forward = async (topic: string, body: Buffer): Promise<void> => {
    if (forwardUplink === undefined) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'this dashboard process does not forward uplinks (run the all-in-one, or publish on the broker)')
    await forwardUplink(topic, body)
  }
  const rawBody = (b: unknown): Buffer => {
    if (!Buffer.isBuffer(b)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'send Content-Type: application/json')
    return b
  }
  const header = (h: string | string[] | undefined): string | undefined => typeof h === 'string' ? h : undefined

  app.post('/api/lorawan/uplink', {
    config: { access: 'public' },
    schema: { response: { 202: Accepted, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody } }
  }, async (request, reply) => {
    const body = rawBody(request.body)
    const signature = header(request.headers['x-mimamori-signature'])
    verifyUplinkSignature({
      secrets: cfg.webhook.secrets,
      keyId: header(request.headers['x-mimamori-key']),
      timestamp: header(request.headers['x-mimamori-timestamp']),
      signature,
      body,
      nowMs: Date.now(),
      windowS: cfg.webhook.replayWindowS
    })
    if (replay.seen(signature!, Date.now())) throw new MimamoriError('MIMAMORI_ERR_WEBHOOK_REPLAY', 'this signed request was already received')
    const up = parseGenericUp(body)
    await forward(`lorawan/${up.devEui}/up`, body)
    return await reply.code(202).send({ accepted: true })
  })

  app.post('/api/lorawan/tts', {
    config: { access: 'public' },
    schema: { response: { 202: Accepted, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody } }
  }, async (request, reply) => {
    const body = rawBody(request.body)
    const expected = cfg.webhook.ttsToken
    // a custom webhook header: Authorization is the dashboard's own (API tokens) and would be read as one
    const sent = header(request.headers['x-mimamori-token'])
    if (expected === undefined || sent === undefined || !sameSecret(sent, expected)) throw new MimamoriError('MIMAMORI_ERR_WEBHOOK_SIGNATURE', 'X-Mimamori-Token: <lorawan.webhook.ttsToken> missing or wrong')
    const up = parseTtsUp(body)
    if (up === null) return await reply.code(202).send({ accepted: false })
    const m = JSON.parse(body.toString('utf8')) as { end_device_ids: { device_id?: string, application_ids?: { application_id?: string } } }
    const app = m.end_device_ids.application_ids?.application_id ?? 'webhook'
    const dev = m.end_device_ids.device_id ?? up.devEui
    if (!/^[a-z0-9](?:[-]?[a-z0-9]){1,35}$/.test(app) || !/^[a-z0-9](?:[-]?[a-z0-9]){1,35}$/.test(dev)) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'application_id / device_id are not The Things Stack ids')
    await forward(`v3/${app}/devices/${dev}/up`, body)
    return await reply.code(202).send({ accepted: true })
  })
}

function sameSecret (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
