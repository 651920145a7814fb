import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import type { EventBus } from '../../../core/bus.js'
import { MimamoriError } from '../../../core/errors.js'
import { deviceTopic } from '../../../core/topics.js'
import type { Camera, Station, Thresholds } from '../../../core/types.js'
import { OUR_FRAME_PROFILE, type DeviceAccounts, type FleetKind, type IssuedCredentials, type ThresholdRevision } from '../../../core/fleet/types.js'
import { cameraProblem, stationProblem } from '../../../core/fleet/validate.js'
import { generateSecret, hashSecret } from '../../../core/secret-hash.js'
import { cleanThresholds, validationError } from '../../../store/fleet.js'
import type { Store } from '../../../store/store.js'
import { OPERATORS } from '../auth/access.js'
import { ErrorBody, IdParams } from '../../contract/schemas.js'
import { CommissionedCameraBody, CommissionedStationBody, FleetBody, FleetEntryBody, ThresholdHistoryBody, ThresholdRevisionBody } from '../../contract/fleet.js'

/**
 * /api/fleet: commission, revise thresholds, maintenance, retire (staff and admin only; every
 * write audited by the auth hook with its body, secrets redacted). Bodies are checked by
 * core/fleet/validate.ts rather than the schema, so an error names the field in Japanese and
 * English (MIMAMORI_ERR_VALIDATION, details.field / ja / en), as the fleet page shows it.
 */
const Loose = Type.Record(Type.String(), Type.Unknown())
const StateBody = Type.Object({
  state: Type.Union([Type.Literal('active'), Type.Literal('maintenance'), Type.Literal('retired')]),
  reason: Type.Optional(Type.String({ maxLength: 500 }))
})
const KindParams = Type.Object({ kind: Type.Union([Type.Literal('gauge'), Type.Literal('camera')]), id: Type.String({ maxLength: 64 }) })

export interface FleetRouteOptions {
  store: Store
  bus: EventBus
  /** MQTT accounts (the broker's registry) from the process wiring; absent: commissioning gives no MQTT credentials */
  accounts?: DeviceAccounts | undefined
}

/** a commissioning's route options: staff and admins, audited; the body is checked by hand (its problems read as one message) */
function commissionRoute<B extends TSchema> (audit: string, created: B) {
  return {
    config: { access: OPERATORS, audit },
    schema: { body: Loose, response: { 201: created, 400: ErrorBody, 409: ErrorBody } }
  }
}

const revisionView = (r: ThresholdRevision) => ({ ...r, validFrom: new Date(r.validFrom).toISOString(), recordedAt: new Date(r.recordedAt).toISOString() })

export const fleetRoutes: FastifyPluginAsyncTypebox<FleetRouteOptions> = async (app, { store, bus, accounts }) => {
  const fleet = store.fleet
  const by = (request: { principal: { username: string } | null }): string => request.principal?.username ?? 'unknown'
  const changed = (kind: FleetKind, id: string, change: 'commissioned' | 'thresholds' | 'state'): void => {
    bus.emit('fleetChange', { kind, id, change, time: Date.now() })
  }

  app.get('/api/fleet', { config: { access: OPERATORS }, schema: { response: { 200: FleetBody } } }, async () => ({
    stations: store.listStations().map(s => ({ ...s, entry: fleet.entry('gauge', s.id) ?? null, revisions: fleet.history(s.id).length })),
    cameras: store.listCameras().map(c => ({ ...c, entry: fleet.entry('camera', c.id) ?? null }))
  }))

  app.get('/api/fleet/stations/:id/thresholds', { config: { access: OPERATORS }, schema: { params: IdParams, response: { 200: ThresholdHistoryBody, 404: ErrorBody } } }, async (request) => {
    if (store.getStation(request.params.id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${request.params.id}`)
    return { stationId: request.params.id, revisions: fleet.history(request.params.id).map(revisionView) }
  })

  app.post('/api/fleet/stations', commissionRoute('fleet.commission.gauge', CommissionedStationBody), async (request, reply) => {
    const b = request.body
    const p = stationProblem(b)
    if (p !== null) throw validationError(p)
    const source = typeof b.source === 'string' ? b.source : ''
    const station: Station = {
      id: b.id as string,
      name: (b.name as string).trim(),
      nameEn: (b.nameEn as string).trim(),
      river: (b.river as string).trim(),
      lat: b.lat as number,
      lon: b.lon as number,
      deviceId: b.deviceId as string,
      ...(typeof b.devEui === 'string' && /^[0-9A-Fa-f]{16}$/.test(b.devEui) ? { devEui: b.devEui } : {}),
      datum: b.datum as number,
      sensorHeight: b.sensorHeight as number,
      thresholds: cleanThresholds(b.thresholds as Thresholds)
    }
    const profile = typeof b.profile === 'string' ? b.profile : OUR_FRAME_PROFILE
    fleet.commissionStation(station, { by: by(request), source, profile })
    const credentials: IssuedCredentials = {}
    if (accounts !== undefined) {
      const c = await accounts.add(station.deviceId, 'gauge', station.id)
      credentials.mqtt = { ...c, topic: deviceTopic('gauge', station.deviceId, 'up') }
    }
    changed('gauge', station.id, 'commissioned')
    request.log.info({ station: station.id, by: by(request) }, 'gauge commissioned')
    return await reply.status(201).send({ station: store.getStation(station.id) ?? station, credentials })
  })

  app.post('/api/fleet/cameras', commissionRoute('fleet.commission.camera', CommissionedCameraBody), async (request, reply) => {
    const b = request.body
    const p = cameraProblem(b)
    if (p !== null) throw validationError(p)
    const trail = b.trail === true
    const camera: Camera = { id: b.id as string, name: (b.name as string).trim(), nameEn: (b.nameEn as string).trim(), lat: b.lat as number, lon: b.lon as number, ...(trail ? { trail: true } : {}) }
    fleet.commissionCamera(camera, { by: by(request) })
    const credentials: IssuedCredentials = {}
    if (trail) {
      // one secret per camera: its SMTP AUTH password and its upload token (fleet/ intake)
      const secret = generateSecret()
      fleet.setIntakeSecretHash(camera.id, await hashSecret(secret))
      credentials.intake = { mailbox: camera.id, password: secret, uploadPath: `/intake/cameras/${camera.id}/photos` }
    } else if (accounts !== undefined) {
      const c = await accounts.add(camera.id, 'camera')
      credentials.mqtt = { ...c, topic: deviceTopic('camera', camera.id, 'image') }
    }
    changed('camera', camera.id, 'commissioned')
    return await reply.status(201).send({ camera: store.getCamera(camera.id) ?? camera, credentials })
  })

  app.post('/api/fleet/stations/:id/thresholds', {
    config: { access: OPERATORS, audit: 'fleet.thresholds' },
    schema: { params: IdParams, body: Loose, response: { 201: ThresholdRevisionBody, 400: ErrorBody, 404: ErrorBody } }
  }, async (request, reply) => {
    const b = request.body
    const validFrom = typeof b.validFrom === 'string' && b.validFrom !== '' ? Date.parse(b.validFrom) : undefined
    if (validFrom !== undefined && !Number.isFinite(validFrom)) throw validationError({ field: 'validFrom', ja: '適用開始日時: 日時の形式が正しくありません', en: 'valid from: not a date and time' })
    const rev = fleet.reviseThresholds(request.params.id, {
      thresholds: (b.thresholds ?? {}) as Thresholds,
      source: typeof b.source === 'string' ? b.source : '',
      by: by(request),
      reason: typeof b.reason === 'string' && b.reason !== '' ? b.reason : null,
      validFrom
    })
    changed('gauge', request.params.id, 'thresholds')
    return await reply.status(201).send(revisionView(rev))
  })

  app.post('/api/fleet/:kind/:id/state', {
    config: { access: OPERATORS, audit: 'fleet.state' },
    schema: { params: KindParams, body: StateBody, response: { 200: FleetEntryBody, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const { kind, id } = request.params
    const entry = fleet.setState(kind, id, request.body.state, { by: by(request), reason: request.body.reason })
    if (request.body.state === 'retired') {
      // the device stops: its MQTT account is revoked (its readings and photos stay)
      const deviceId = kind === 'gauge' ? store.getStation(id)?.deviceId : id
      if (deviceId !== undefined) {
        try { accounts?.revoke(deviceId) } catch (err) {
          if (!(err instanceof MimamoriError && err.code === 'MIMAMORI_ERR_NOT_FOUND')) throw err
        }
      }
    }
    changed(kind, id, 'state')
    return { ...entry, stateSince: new Date(entry.stateSince).toISOString() }
  })
}
