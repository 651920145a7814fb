import { Type } from 'typebox'
import { ReadingBody } from './schemas.js'

/** GET /api/map: the map's start view and tiles (config dashboard.map) */
export const MapSettingsBody = Type.Object({
  center: Type.Tuple([Type.Number(), Type.Number()]),
  zoom: Type.Number(),
  tileUrl: Type.String(),
  tileAttribution: Type.String()
})

/** GET /healthz: always status ok while the process answers; the services in it add their figures */
export const HealthBody = Type.Object({
  status: Type.Literal('ok'),
  uptimeS: Type.Integer()
}, { additionalProperties: true, description: 'plus per-service figures (store, sseClients, notify, ingest, broker …), free-form' })

/** GET /api/stations/:id/readings */
export const ReadingsBody = Type.Object({
  stationId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  readings: Type.Array(ReadingBody)
})
