import { Type } from 'typebox'
import { AreaShapeSchema } from '../../core/config/schema.js'

/** Wildlife API: sightings, detections, hunters and their areas, feedback, precision (dashboard/server/routes/wildlife.ts). */
const Time = Type.String({ format: 'date-time' })
const AlertStateSchema = Type.Union([Type.Literal('pending'), Type.Literal('firing'), Type.Literal('acknowledged'), Type.Literal('resolved')])
const Verdict = Type.Union([Type.Literal('confirm'), Type.Literal('reject')])

/** whether ingest analyses frames (core/wildlife-status.ts, written by ingest at start) */
export const WildlifeStatusBody = Type.Object({
  detection: Type.Boolean(),
  reason: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  adapter: Type.Union([Type.String(), Type.Null()], { description: "'built-in' or the adapter module; null: ingest has not started here yet" }),
  since: Type.Union([Type.String(), Type.Null()])
})

/** A monkey sighting: k-of-n positive frames of one burst (list, detail, SSE `sighting`, hunter SSE `wildlifeAlert`) */
export const SightingBody = Type.Object({
  id: Type.String(),
  cameraId: Type.String(),
  camera: Type.Union([Type.Object({ name: Type.String(), nameEn: Type.String() }), Type.Null()], { description: "the camera's names, so a hunter (who may not list cameras) can read where" }),
  burstId: Type.String(),
  time: Time,
  lat: Type.Number(),
  lon: Type.Number(),
  frames: Type.Integer(),
  positives: Type.Integer(),
  bestScore: Type.Number(),
  bestFrameIndex: Type.Integer(),
  label: Type.String(),
  thumbnail: Type.Union([Type.String(), Type.Null()], { description: 'data-dir relative file; fetch it through thumbnailUrl' }),
  thumbnailUrl: Type.Union([Type.String(), Type.Null()]),
  alertId: Type.Union([Type.String(), Type.Null()]),
  suppressed: Type.Boolean({ description: "within the camera's cooldown: recorded, no new alert" }),
  hunters: Type.Array(Type.String(), { description: 'a hunter sees only themself here' }),
  alert: Type.Union([Type.Object({
    id: Type.String(),
    state: AlertStateSchema,
    drill: Type.Boolean(),
    acknowledgedBy: Type.Union([Type.String(), Type.Null()])
  }), Type.Null()])
})

export const FeedbackBody = Type.Object({
  sightingId: Type.String(),
  hunterId: Type.String(),
  verdict: Verdict,
  note: Type.String(),
  at: Time
})

export const SightingDetailBody = Type.Intersect([SightingBody, Type.Object({ feedback: Type.Array(FeedbackBody) })])

export const FeedbackResultBody = Type.Object({
  sightingId: Type.String(),
  alertId: Type.Union([Type.String(), Type.Null()]),
  feedback: Type.Array(FeedbackBody)
})

export const DetectionBody = Type.Object({
  cameraId: Type.String(),
  time: Time,
  frameIndex: Type.Integer(),
  burstId: Type.String(),
  frameCount: Type.Integer(),
  positive: Type.Boolean(),
  score: Type.Number({ description: 'best monkey evidence 0..1' }),
  label: Type.String(),
  via: Type.String({ description: 'which stage decided: whole | fullFrame | crop | none' }),
  boxes: Type.Array(Type.Object({ x0: Type.Number(), y0: Type.Number(), x1: Type.Number(), y1: Type.Number(), detScore: Type.Number(), detLabel: Type.String(), monkeyScore: Type.Number() })),
  thumbnail: Type.Union([Type.String(), Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()])
})

const PrecisionFigures = {
  sightings: Type.Integer(),
  confirmed: Type.Integer(),
  rejected: Type.Integer(),
  precision: Type.Union([Type.Number(), Type.Null()], { description: 'confirmed / (confirmed + rejected); null without feedback' })
}
export const PrecisionRowBody = Type.Object({ cameraId: Type.String(), ...PrecisionFigures })
export const PrecisionBody = Type.Object({ overall: Type.Object(PrecisionFigures), cameras: Type.Array(PrecisionRowBody) })

export const HunterAreaBody = Type.Object({
  id: Type.String(),
  hunterId: Type.String(),
  name: Type.String(),
  shape: AreaShapeSchema,
  createdAt: Type.Number({ description: 'ms since the epoch' })
})

export const HunterBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  contact: Type.String(),
  createdAt: Time,
  areas: Type.Array(HunterAreaBody)
})
