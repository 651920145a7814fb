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

/** fleet registry device state: active; maintenance (点検中) = readings stored, alerts suppressed; retired = refused, data kept */
export const FLEET_STATES = ['active', 'maintenance', 'retired'] as const
export type FleetState = typeof FLEET_STATES[number]

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
  /** LoRaWAN DevEUI when the gauge reports through ChirpStack (16 hex digits) */
  devEui?: string | undefined
  /** elevation of the gauge zero (零点高) in metres T.P.; informational */
  datum: number
  /** height of the sensor face above the gauge zero, metres: level = sensorHeight − distance */
  sensorHeight: number
  /** the sensor's maximum range, metres (e.g. 5.0: an ultrasonic sensor reports 5000 mm for no echo); levels at or below sensorHeight − this fail QC gross range */
  sensorRangeM?: number | undefined
  /** payload format: a vendor device profile id (codecs/vendor/profiles.ts), or unset / 'mimamori-frame-v1' for our frame */
  profile?: string | undefined
  /** depth / level profiles: the probe's zero above the gauge zero, m (distance profiles use sensorHeight) */
  installOffsetM?: number | undefined
  thresholds: Thresholds
  /** river gauge (default) or street-depth sensor: picks the QC limits (core/river/qc-limits.ts) */
  type?: 'river' | 'street' | undefined
  /** 訓練局: a drill/replay station; all its alerts are drills (never sent publicly) */
  drill?: boolean | undefined
  /** per-station QC / rule tuning; unset keys use the global `river` config */
  tuning?: StationRiverTuning | undefined
  /** fleet registry (store/fleet.ts): maintenance = readings stored, alerts suppressed; retired = refused, data kept */
  state?: FleetState | undefined
}

export interface Camera {
  id: string
  name: string
  nameEn: string
  lat: number
  lon: number
  /** metered link: the camera runs the model and sends detections + a thumbnail, not images */
  onDeviceInference?: boolean | undefined
  /** 訓練: every wildlife alert of this camera is a drill */
  drill?: boolean | undefined
  /** fleet registry (store/fleet.ts): maintenance = photos stored, alerts suppressed; retired = refused */
  state?: FleetState | undefined
  /** a bought trail camera (fleet/ intake: e-mail or HTTP upload) rather than our MQTT camera */
  trail?: boolean | undefined
}

export interface Reading {
  stationId: string
  deviceId: string
  /** observation time (ms since epoch, UTC) as measured on the device */
  time: number
  /** arrival time at ingest */
  receivedAt: number
  /** water level in metres relative to the gauge zero; NaN when the gauge measured nothing (QC flag 9), stored and served as null */
  level: number
  batteryV: number | null
  temperatureC: number | null
  spreadMm: number | null
  validPings: number
  totalPings: number
  /** device-side flag bits from the frame (see docs/payload.md) */
  deviceFlags: number
  seq: number
  /** quality control verdict (ingest/qc); absent on readings stored before QC existed */
  qc?: ReadingQc | undefined
}

/** QARTOD flag values: 1 pass, 2 not evaluated, 3 suspect, 4 fail, 9 missing. */
export type QcFlag = 1 | 2 | 3 | 4 | 9

/** Per-reading QC: the aggregate flag (worst test) and the tests that did not pass, with their flag. */
export interface ReadingQc {
  flag: QcFlag
  /** e.g. { spike: 4 }, { rateOfChange: 3, obstruction: 3 }; empty when everything passed */
  tests: Record<string, QcFlag>
}

/**
 * Optional per-station tuning of QC tests and alert rules (ingest/qc, ingest/rules);
 * every key falls back to the global `river` config section.
 */
export interface StationRiverTuning {
  /** gross range: levels below this fail (e.g. river bed, street surface) */
  minLevel?: number | undefined
  /** gross range: levels above this fail (default: sensor face minus the blanking distance) */
  maxLevel?: number | undefined
  maxRateMPerHour?: number | undefined
  jumpM?: number | undefined
  jumpRateMPerHour?: number | undefined
  noiseM?: number | undefined
  /** the sensor zero (street surface): threshold hysteresis never reaches it */
  zeroLevel?: number | undefined
  rateOfRiseMPerHour?: number | undefined
  hysteresisM?: number | undefined
  silentAfterMinutes?: number | undefined
}

/** Alert lifecycle, one for every kind (river, wildlife, …). */
export const ALERT_STATES = ['pending', 'firing', 'acknowledged', 'resolved'] as const
export type AlertState = typeof ALERT_STATES[number]
/** CAP 1.2 severities, so a CAP feed can carry them unchanged */
export const ALERT_SEVERITIES = ['minor', 'moderate', 'severe', 'extreme'] as const
export type AlertSeverity = typeof ALERT_SEVERITIES[number]

export interface Alert {
  id: string
  /** `${kind}/${subjectId}/${rule}` plus `/drill` for drills: at most one open alert per key */
  key: string
  /** 'river', 'wildlife', … */
  kind: string
  /** station id, camera id, area id … */
  subjectId: string
  /** e.g. 'threshold.danger', 'forecast.danger', 'rateOfRise', 'silent', 'sighting' */
  rule: string
  severity: AlertSeverity
  state: AlertState
  /** 訓練: never to be sent on public channels */
  drill: boolean
  title: string
  message: string
  details: Record<string, unknown>
  /** data time (ms) of the observation that raised it */
  observedAt: number
  /** data time (ms) of the latest observation that supported it */
  lastSeenAt: number
  /** how many times the rule re-raised it while open (deduplicated) */
  occurrences: number
  createdAt: number
  updatedAt: number
  firedAt: number | null
  acknowledgedAt: number | null
  acknowledgedBy: string | null
  resolvedAt: number | null
  resolvedBy: string | null
  /** why it was resolved: 'cleared', 'unconfirmed', 'superseded', 'manual' … */
  resolution: string | null
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

/** Monkey detection result for one camera frame (vision → ingest/wildlife). */
export interface Detection {
  cameraId: string
  time: number
  frameIndex: number
  burstId: string
  frameCount: number
  positive: boolean
  /** best monkey evidence 0..1 */
  score: number
  /** ImageNet label of the best view, e.g. 'macaque' */
  label: string
  /** which stage decided: whole | fullFrame | crop | none */
  via: string
  boxes: Array<{ x0: number, y0: number, x1: number, y1: number, detScore: number, detLabel: string, monkeyScore: number }>
  /** data-dir relative thumbnail file of a positive frame */
  thumbnail: string | null
  /** set when the frame could not be analysed (MIMAMORI_ERR_IMAGE_CORRUPT …) */
  errorCode: string | null
}

/** k-of-n positive frames in one burst at one camera. */
export interface Sighting {
  id: string
  cameraId: string
  burstId: string
  time: number
  lat: number
  lon: number
  frames: number
  positives: number
  bestScore: number
  bestFrameIndex: number
  label: string
  thumbnail: string | null
  /** the alert raised (null when within the camera's cooldown) */
  alertId: string | null
  suppressed: boolean
  /** hunters whose areas contain the camera */
  hunters: string[]
}

/** What a vendor device profile measures: distance down to the water, a level, or a depth above a probe. */
export type ProfileMeasure = 'distance' | 'level' | 'depth'

/** One device profile as the commissioning form lists it (GET /api/devices/profiles). */
export interface DeviceProfileSummary {
  id: string
  vendor: string
  model: string
  measures: ProfileMeasure
  /** the unit the decoded field is read in (mm, bar, …) */
  unit: string
}

/** The vendor profile a station's uplinks go through, or undefined when it speaks our frame v1. */
export function vendorProfileOf (station: Pick<Station, 'profile'>): string | undefined {
  return station.profile === undefined || station.profile === 'mimamori-frame-v1' ? undefined : station.profile
}
