import type { ErrorCode } from '../core/errors.js'

/** Plain counters; the metrics exporter reads them, handlers only increment. */
export interface IngestStats {
  received: number
  stored: number
  duplicates: number
  images: number
  /** measurements gauges folded into other frames while offline, as their backlog reports told (status topic) */
  summarisedMeasurements: number
  rejected: Partial<Record<ErrorCode, number>>
}

export function createStats (): IngestStats {
  return { received: 0, stored: 0, duplicates: 0, images: 0, summarisedMeasurements: 0, rejected: {} }
}

export function countRejection (stats: IngestStats, code: ErrorCode): void {
  stats.rejected[code] = (stats.rejected[code] ?? 0) + 1
}
