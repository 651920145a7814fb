import type { CameraView, MapSettings, ReadingsResponse, StationView } from './types.js'

export class ApiError extends Error {
  constructor (readonly url: string, readonly status: number, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

async function getJson<T> (url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: signal ?? null })
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`
    try {
      const body = await res.json() as { message?: unknown }
      if (typeof body.message === 'string') message = body.message
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(url, res.status, message)
  }
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
