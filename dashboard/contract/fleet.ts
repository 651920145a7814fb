import { Type } from 'typebox'
import { ThresholdsBody } from './schemas.js'

/**
 * The fleet registry (dashboard/server/routes/fleet.ts). Objects stay open
 * (additionalProperties): the station and camera documents carry more than the
 * map's view, and the serializer must pass all of it through.
 */
const Open = { additionalProperties: true } as const
const Time = Type.String({ format: 'date-time' })
const Kind = Type.Union([Type.Literal('gauge'), Type.Literal('camera')])

export const FleetEntryBody = Type.Object({
  kind: Kind,
  id: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('maintenance'), Type.Literal('retired')]),
  stateSince: Type.Union([Type.Number(), Time], { description: 'ms since the epoch in GET /api/fleet; ISO in the state change answer' }),
  stateBy: Type.String(),
  stateReason: Type.Union([Type.String(), Type.Null()]),
  profile: Type.String({ description: "payload format: 'mimamori-frame-v1' or a vendor device profile id" }),
  origin: Type.Union([Type.Literal('config'), Type.Literal('api')]),
  createdAt: Type.Number()
}, Open)

export const FleetBody = Type.Object({
  stations: Type.Array(Type.Object({ id: Type.String(), entry: Type.Union([FleetEntryBody, Type.Null()]), revisions: Type.Integer() }, Open)),
  cameras: Type.Array(Type.Object({ id: Type.String(), entry: Type.Union([FleetEntryBody, Type.Null()]) }, Open))
})

export const ThresholdRevisionBody = Type.Object({
  stationId: Type.String(),
  revision: Type.Integer(),
  validFrom: Time,
  thresholds: ThresholdsBody,
  source: Type.String(),
  by: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  recordedAt: Time
}, Open)

export const ThresholdHistoryBody = Type.Object({ stationId: Type.String(), revisions: Type.Array(ThresholdRevisionBody) })

/** the one-time credentials of a commissioning answer (shown once) */
export const IssuedCredentialsBody = Type.Object({
  mqtt: Type.Optional(Type.Object({ username: Type.String(), password: Type.String(), topic: Type.String() })),
  intake: Type.Optional(Type.Object({ mailbox: Type.String(), password: Type.String(), uploadPath: Type.String() }))
})

/** `station` / `camera`: the stored document as configured (core/types.ts Station / Camera) */
export const CommissionedStationBody = Type.Object({ station: Type.Object({ id: Type.String(), name: Type.String(), deviceId: Type.String() }, Open), credentials: IssuedCredentialsBody })
export const CommissionedCameraBody = Type.Object({ camera: Type.Object({ id: Type.String(), name: Type.String() }, Open), credentials: IssuedCredentialsBody })
