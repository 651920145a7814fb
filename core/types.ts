/** Domain types shared by ingest, dashboard, simulators and edge. */

/** MLIT threshold names, lowest first. Values are metres on the station's gauge datum (水位). */
export interface Thresholds {
  /** 観測開始水位: gauges switch to 観測 (observation) mode above this */
  observationStart?: number | undefined
  /** 水防団待機水位 */
  standby: number
  /** 氾濫注意水位 (レベル2) */
  caution: number
  /** 避難判断水位 (レベル3, 高齢者等避難) */
  evacuationJudgement: number
  /** 氾濫危険水位 (レベル4, 避難指示) */
  danger: number
  /** 氾濫発生 (レベル5, 緊急安全確保): level at which the bank is overtopped */
  flooding: number
}

/** Ordered from calm to worst; the index is the severity. */
export const LEVEL_STATUSES = ['normal', 'standby', 'caution', 'evacuationJudgement', 'danger', 'flooding'] as const
export type LevelStatus = typeof LEVEL_STATUSES[number]

export interface Station {
  id: string
  /** Japanese display name, e.g. 青龍寺川 (新形橋) */
  name: string
  nameEn: string
  river: string
  lat: number
  lon: number
  /** the gauge device that reports for this station */
  deviceId: string
  /** elevation of the gauge zero (零点高) in metres T.P.; informational */
  datum: number
  /** height of the sensor face above the gauge zero, metres: level = sensorHeight − distance */
  sensorHeight: number
  thresholds: Thresholds
}

export interface Camera {
  id: string
  name: string
  nameEn: string
  lat: number
  lon: number
}

export interface Reading {
  stationId: string
  deviceId: string
  /** observation time (ms since epoch, UTC) as measured on the device */
  time: number
  /** arrival time at ingest */
  receivedAt: number
  /** water level in metres relative to the gauge zero */
  level: number
  batteryV: number | null
  temperatureC: number | null
  spreadMm: number | null
  validPings: number
  totalPings: number
  /** device-side flag bits from the frame (see docs/payload.md) */
  deviceFlags: number
  seq: number
}

export interface StationView extends Station {
  latest: (Pick<Reading, 'time' | 'level' | 'batteryV' | 'receivedAt'>) | null
  status: LevelStatus | 'unknown'
}

export interface CameraImage {
  cameraId: string
  time: number
  receivedAt: number
  bytes: number
  width: number
  height: number
  burstId: string
  frameIndex: number
  batteryV: number | null
}
