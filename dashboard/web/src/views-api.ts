import type { Static } from 'typebox'
import type { PrecisionRowBody } from '../../contract/index.js'
import { getJson } from './api.js'
import type { AlertView } from './alerts-api.js'
import type { SeriesResponse, SightingView, StationTrend, StationView } from './types.js'

export function fetchStation (id: string, signal?: AbortSignal): Promise<StationView> {
  return getJson<StationView>(`/api/stations/${encodeURIComponent(id)}`, signal)
}

/** downsampled history, oldest first; `points` bounds the answer */
export function fetchSeries (id: string, from: number, to: number, points: number, signal?: AbortSignal): Promise<SeriesResponse> {
  const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), points: String(points) })
  return getJson<SeriesResponse>(`/api/stations/${encodeURIComponent(id)}/series?${q.toString()}`, signal)
}

export function fetchTrends (signal?: AbortSignal): Promise<StationTrend[]> {
  return getJson<StationTrend[]>('/api/stations/trends', signal)
}

/** every alert of one subject (all states), newest first */
export function fetchSubjectAlerts (subjectId: string, signal?: AbortSignal): Promise<AlertView[]> {
  return getJson<AlertView[]>(`/api/alerts?subjectId=${encodeURIComponent(subjectId)}&limit=500`, signal)
}

export type PrecisionRow = Static<typeof PrecisionRowBody>

export function fetchPrecision (signal?: AbortSignal): Promise<{ cameras: PrecisionRow[] }> {
  return getJson<{ cameras: PrecisionRow[] }>('/api/wildlife/precision', signal)
}

export function fetchRecentSightings (signal?: AbortSignal): Promise<SightingView[]> {
  return getJson<SightingView[]>('/api/wildlife/sightings?limit=500', signal)
}
