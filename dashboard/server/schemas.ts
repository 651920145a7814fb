import { Type } from 'typebox'

/** Response and query schemas: they validate input and feed the generated OpenAPI-style docs. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() })

export const LevelStatusSchema = Type.Union([
  Type.Literal('normal'), Type.Literal('standby'), Type.Literal('caution'),
  Type.Literal('evacuationJudgement'), Type.Literal('danger'), Type.Literal('flooding'), Type.Literal('unknown')
])

export const ThresholdsBody = Type.Object({
  observationStart: Type.Optional(Type.Number()),
  standby: Type.Number(),
  caution: Type.Number(),
  evacuationJudgement: Type.Number(),
  danger: Type.Number(),
  flooding: Type.Number()
})

export const StationBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  river: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  deviceId: Type.String(),
  datum: Type.Number(),
  sensorHeight: Type.Number(),
  thresholds: ThresholdsBody,
  status: LevelStatusSchema,
  latest: Type.Union([Type.Null(), Type.Object({
    time: Type.String({ format: 'date-time' }),
    receivedAt: Type.String({ format: 'date-time' }),
    level: Type.Number(),
    batteryV: Type.Union([Type.Number(), Type.Null()])
  })])
})

export const ReadingBody = Type.Object({
  time: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  level: Type.Number(),
  batteryV: Type.Union([Type.Number(), Type.Null()]),
  temperatureC: Type.Union([Type.Number(), Type.Null()]),
  spreadMm: Type.Union([Type.Number(), Type.Null()]),
  validPings: Type.Integer(),
  totalPings: Type.Integer(),
  deviceFlags: Type.Integer()
})

export const ReadingsQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, default: 24 h before `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, default: now' })),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 2000 })
}, { additionalProperties: false })

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) })

export const CameraBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  latest: Type.Union([Type.Null(), Type.Object({
    time: Type.String({ format: 'date-time' }),
    width: Type.Integer(),
    height: Type.Integer(),
    imageUrl: Type.String()
  })])
})
