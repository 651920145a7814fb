import type { Camera, CameraImage, Detection, Reading, ReadingQc, Station } from '../core/types.js'
import type { FleetRegistry } from './fleet.js'

export interface ReadingQuery {
  /** inclusive, ms since epoch */
  from: number
  /** inclusive, ms since epoch */
  to: number
  limit: number
  /** 'desc' (default): newest first, as the API lists them; 'asc': oldest first, for paging an export */
  order?: 'asc' | 'desc'
  /**
   * A recent window for ingest's own state (QC seeding): the store may answer from a local copy that
   * is complete for it (the InfluxDB backend's outbox ledger) instead of asking a remote database.
   */
  recent?: boolean
}

export interface SeriesQuery {
  /** inclusive, ms since epoch */
  from: number
  /** inclusive, ms since epoch */
  to: number
  /** bucket width, ms; buckets start at multiples of it since the epoch, so both backends cut the same */
  bucketMs: number
}

/**
 * One time bucket of a station's readings (a hydrograph point). Levels that
 * failed QC (flag 4) and gaps (flag 9) are left out of mean/min/max and counted.
 */
export interface SeriesBucket {
  /** bucket start (ms), the same on every backend (a reading at 10:03:20 in a 1-min bucket shows at 10:03) */
  time: number
  mean: number | null
  min: number | null
  max: number | null
  /** readings with a usable level (not failed, not missing) */
  count: number
  /** suspect (3) or failed (4) readings in the bucket */
  flagged: number
  /** gaps: frames without a level (flag 9) */
  missing: number
}

/**
 * Storage seen by ingest and dashboard. App state (stations, cameras) always
 * lives in the embedded database; time series methods are async because the
 * InfluxDB backend answers over the network.
 */
export interface Store {
  readonly backend: string
  /**
   * The fleet registry (store/fleet.ts): device states, effective-dated thresholds. Stations and
   * cameras read through this store carry its state and the thresholds in force now.
   */
  readonly fleet: FleetRegistry
  /** raw upsert of station documents (tests, old callers); the app seeds through `fleet.seed` */
  saveStations(stations: Station[]): void
  listStations(): Station[]
  getStation(id: string): Station | undefined
  stationByDevice(deviceId: string): Station | undefined
  saveCameras(cameras: Camera[]): void
  listCameras(): Camera[]
  getCamera(id: string): Camera | undefined

  /** idempotent on (station, time): a repeated frame is reported as a duplicate, never stored twice */
  writeReading(reading: Reading): Promise<'inserted' | 'duplicate'>
  /** QC revised an earlier reading (a spike is known only when the next reading comes back) */
  updateReadingQc?(stationId: string, time: number, qc: ReadingQc): Promise<void>
  readings(stationId: string, query: ReadingQuery): Promise<Reading[]>
  /** downsampled history in one query: at most (to − from) / bucketMs + 1 buckets, oldest first, empty buckets left out */
  readingSeries(stationId: string, query: SeriesQuery): Promise<SeriesBucket[]>
  /** each station's newest reading that has a level (gaps, QC flag 9, are skipped) */
  latestReadings(): Promise<Map<string, Reading>>
  writeCameraImage(image: CameraImage): Promise<'inserted' | 'duplicate'>
  latestCameraImages(): Promise<Map<string, CameraImage>>
  /**
   * A wildlife detection as a time-series point (InfluxDB backend only: committed
   * to the outbox before it resolves). The embedded backend keeps detections in
   * its own table (store/wildlife.ts) and leaves this out.
   */
  writeDetection?(detection: Detection): Promise<void>

  close(): Promise<void>
}
