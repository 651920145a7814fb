/** Shapes of the dashboard API as the browser sees them (JSON: times are ISO strings). */

import type { Static } from 'typebox'
import type { BacklogReportBody, CameraBody, DeviceStatusBody, ReadingBody, SeriesBody, StationBody, ThresholdsBody, TrendBody } from '../../server/schemas.js'
import type { LevelStatus } from '../../../core/types.js'

// The API's own TypeBox schemas (dashboard/server/schemas.ts) are the source of these
// shapes: a field the server adds or changes shows up here at compile time.
export type { LevelStatus }
export type StationStatus = LevelStatus | 'unknown'
export type Thresholds = Static<typeof ThresholdsBody>
export type StationView = Static<typeof StationBody>
export type LatestReading = NonNullable<StationView['latest']>
/** a gateway gauge's report on the store-and-forward backlog it delivered after an outage */
export type BacklogReport = Static<typeof BacklogReportBody>
export type DeviceStatus = Static<typeof DeviceStatusBody>
export type ReadingPoint = Static<typeof ReadingBody>

export interface ReadingsResponse {
  stationId: string
  from: string
  to: string
  readings: ReadingPoint[]
}

export type SeriesResponse = Static<typeof SeriesBody>
export type SeriesPoint = SeriesResponse['points'][number]
export type StationTrend = Static<typeof TrendBody>
export type CameraView = Static<typeof CameraBody>
export type CameraLatest = NonNullable<CameraView['latest']>

// Below: SSE payloads and routes without a response schema (yet), written out by hand.

export interface MapSettings {
  center: [number, number]
  zoom: number
  tileUrl: string
  tileAttribution: string
}

/** SSE `statusChange` */
export interface StatusChange {
  stationId: string
  from: StationStatus
  to: LevelStatus
  time: string
  level: number
}

/** SSE `cameraImage` */
export interface CameraImageEvent extends CameraLatest {
  cameraId: string
}

/** A monkey sighting (`GET /api/wildlife/sightings`, SSE `sighting` / hunter `wildlifeAlert`) */
export interface SightingView {
  id: string
  cameraId: string
  /** the camera's names, so a hunter (who may not list cameras) can read where */
  camera?: { name: string, nameEn: string } | null
  burstId: string
  time: string
  lat: number
  lon: number
  frames: number
  positives: number
  bestScore: number
  label: string
  thumbnailUrl: string | null
  alertId: string | null
  /** within the camera's cooldown: recorded, no new alert */
  suppressed: boolean
  hunters: string[]
  alert: { id: string, state: 'pending' | 'firing' | 'acknowledged' | 'resolved', drill: boolean, acknowledgedBy: string | null } | null
}

export interface HunterView {
  id: string
  name: string
  contact: string
  areas?: Array<{ id: string, name: string }>
}

export interface FeedbackView {
  sightingId: string
  hunterId: string
  verdict: 'confirm' | 'reject'
  note: string
  at: string
}
