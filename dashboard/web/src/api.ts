import { csrfHeaders } from './session.js'
import { refusalMessage } from './request.js'
import type { CameraView, FeedbackView, HunterView, MapSettings, ReadingsResponse, SightingView, StationView } from './types.js'

export class ApiError extends Error {
  constructor (readonly url: string, readonly status: number, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

/** GET as JSON; a refusal becomes an ApiError carrying the server's coded message */
export async function getJson<T> (url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: signal ?? null })
  if (!res.ok) throw new ApiError(url, res.status, await refusalMessage(res))
  return await res.json() as T
}

export function fetchMapSettings (signal?: AbortSignal): Promise<MapSettings> {
  return getJson<MapSettings>('/api/map', signal)
}

export function fetchStations (signal?: AbortSignal): Promise<StationView[]> {
  return getJson<StationView[]>('/api/stations', signal)
}

export function fetchCameras (signal?: AbortSignal): Promise<CameraView[]> {
  return getJson<CameraView[]>('/api/cameras', signal)
}

/** readings of one station between two instants, newest first (server order) */
export function fetchReadings (stationId: string, from: Date, to: Date, signal?: AbortSignal): Promise<ReadingsResponse> {
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })
  return getJson<ReadingsResponse>(`/api/stations/${encodeURIComponent(stationId)}/readings?${q.toString()}`, signal)
}

/** latest sightings, newest first */
export function fetchSightings (limit = 200, signal?: AbortSignal): Promise<SightingView[]> {
  return getJson<SightingView[]>(`/api/wildlife/sightings?limit=${limit}`, signal)
}

/** one hunter's profile with their areas (a hunter reads only their own) */
export function fetchHunter (id: string, signal?: AbortSignal): Promise<HunterView> {
  return getJson<HunterView>(`/api/hunters/${encodeURIComponent(id)}`, signal)
}

export function fetchHunters (signal?: AbortSignal): Promise<HunterView[]> {
  return getJson<HunterView[]>('/api/hunters', signal)
}

/** the alerts a hunter received (sightings in their areas that raised an alert), newest first */
export function fetchHunterAlerts (hunterId: string, signal?: AbortSignal): Promise<SightingView[]> {
  return getJson<SightingView[]>(`/api/hunters/${encodeURIComponent(hunterId)}/alerts`, signal)
}

export function fetchSighting (id: string, signal?: AbortSignal): Promise<SightingView & { feedback: FeedbackView[] }> {
  return getJson<SightingView & { feedback: FeedbackView[] }>(`/api/wildlife/sightings/${encodeURIComponent(id)}`, signal)
}

/** 確認 / 誤報: one verdict per hunter and alert, changeable */
export async function postFeedback (alertId: string, hunterId: string, verdict: 'confirm' | 'reject'): Promise<{ feedback: FeedbackView[] }> {
  const url = `/api/wildlife/alerts/${encodeURIComponent(alertId)}/feedback`
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() }, body: JSON.stringify({ hunterId, verdict }) })
  if (!res.ok) throw new ApiError(url, res.status, await refusalMessage(res))
  return await res.json() as { feedback: FeedbackView[] }
}
