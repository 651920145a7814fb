/** Shapes of the dashboard API as the browser sees them (JSON: times are ISO strings). */

export type LevelStatus = 'normal' | 'standby' | 'caution' | 'evacuationJudgement' | 'danger' | 'flooding'
export type StationStatus = LevelStatus | 'unknown'

export interface Thresholds {
  observationStart?: number
  standby: number
  caution: number
  evacuationJudgement: number
  danger: number
  flooding: number
}

export interface LatestReading {
  time: string
  receivedAt: string
  level: number
  batteryV: number | null
}

/** a gateway gauge's report on the store-and-forward backlog it delivered after an outage */
export interface BacklogReport {
  sent: number
  summarised: number
  from: string
  to: string
  time: string
}

export interface DeviceStatus {
  online: boolean
  batteryV: number | null
  lastSeen: string | null
  time: string
  lastBacklog?: BacklogReport | null
}

export interface StationView {
  id: string
  name: string
  nameEn: string
  river: string
  lat: number
  lon: number
  deviceId: string
  datum: number
  sensorHeight: number
  thresholds: Thresholds
  status: StationStatus
  /** the gauge's last status; absent in live reading events */
  device?: DeviceStatus | null
  latest: LatestReading | null
}

export interface ReadingPoint {
  time: string
  level: number
}

export interface ReadingsResponse {
  stationId: string
  from: string
  to: string
  readings: ReadingPoint[]
}

export interface CameraLatest {
  time: string
  width: number
  height: number
  imageUrl: string
}

export interface CameraView {
  id: string
  name: string
  nameEn: string
  lat: number
  lon: number
  latest: CameraLatest | null
}

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
}

export interface FeedbackView {
  sightingId: string
  hunterId: string
  verdict: 'confirm' | 'reject'
  note: string
  at: string
}
