import { Type, type Static } from 'typebox'

const NumOrNull = Type.Union([Type.Number(), Type.Null()])

export const EvaluateQuery = Type.Object({
  /** our other station's id, or a configured MLIT reference gauge (official.referenceStations) */
  reference: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  /** levels (m, comma-separated) whose crossings are compared; default: the station's thresholds */
  thresholds: Type.Optional(Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?(,-?[0-9]+(\\.[0-9]+)?){0,9}$' }))
}, { additionalProperties: false })

/** 精度評価 of one station against a reference series (core/accuracy/metrics.ts, as `mimamori evaluate`) */
export const EvaluateBody = Type.Object({
  stationId: Type.String(),
  reference: Type.Object({ id: Type.String(), kind: Type.Union([Type.Literal('station'), Type.Literal('mlit')]), name: Type.String() }),
  from: Type.String(),
  to: Type.String(),
  stepMs: Type.Number(),
  pairs: Type.Integer(),
  biasM: NumOrNull,
  rmseM: NumOrNull,
  unbiasedRmseM: NumOrNull,
  lagMs: NumOrNull,
  correlationAtLag: NumOrNull,
  atLag: Type.Object({ biasM: NumOrNull, rmseM: NumOrNull }),
  missingShare: Type.Object({ ours: Type.Number(), reference: Type.Number() }),
  crossings: Type.Array(Type.Object({
    threshold: Type.Number(),
    /** the station's threshold name (standby, caution, …) this level is */
    key: Type.String(),
    outcome: Type.Union([Type.Literal('hit'), Type.Literal('miss'), Type.Literal('falseAlarm')]),
    referenceTime: Type.Union([Type.String(), Type.Null()]),
    oursTime: Type.Union([Type.String(), Type.Null()]),
    offsetMs: NumOrNull
  }))
})
export type EvaluateResponse = Static<typeof EvaluateBody>
