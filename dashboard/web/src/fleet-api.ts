import { lang } from './i18n.js'
import { requestJson } from './request.js'

/** An API error; a validation error names its field (details.field) in Japanese and English. */
export class FleetApiError extends Error {
  constructor (message: string, readonly status: number, readonly field: string | undefined) {
    super(message)
  }
}

export async function fleetApi<T> (url: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  const res = await requestJson(url, init)
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { message?: string, details?: { field?: string, ja?: string, en?: string } }
    const d = body.details
    const message = d?.ja !== undefined && d.en !== undefined ? (lang() === 'en' ? `${d.en} (${d.ja})` : `${d.ja} (${d.en})`) : body.message ?? String(res.status)
    throw new FleetApiError(message, res.status, d?.field)
  }
  return await res.json() as T
}

export interface Thresholds { observationStart?: number, standby: number, caution: number, evacuationJudgement: number, danger: number, flooding: number }
export interface FleetEntry { state: 'active' | 'maintenance' | 'retired', stateSince: number, stateBy: string, stateReason: string | null, profile: string, origin: string }
export interface FleetStation { id: string, name: string, nameEn: string, river: string, lat: number, lon: number, deviceId: string, thresholds: Thresholds, state?: string, entry: FleetEntry | null, revisions: number }
export interface FleetCamera { id: string, name: string, nameEn: string, lat: number, lon: number, trail?: boolean, state?: string, entry: FleetEntry | null }
export interface Revision { revision: number, validFrom: string, thresholds: Thresholds, source: string, by: string, reason: string | null, recordedAt: string }
export interface DeviceProfile { id: string, vendor: string, model: string, measures: string, unit: string }

export const LEVEL_KEYS = ['observationStart', 'standby', 'caution', 'evacuationJudgement', 'danger', 'flooding'] as const

/** vendor device profiles (the codec plug-ins' GET /api/devices/profiles); none until that exists here (404) */
export async function loadProfiles (): Promise<DeviceProfile[]> {
  try {
    const res = await fetch('/api/devices/profiles', { headers: { accept: 'application/json' }, cache: 'no-store' })
    if (!res.ok) return []
    const body = await res.json() as unknown
    return Array.isArray(body) ? body as DeviceProfile[] : []
  } catch {
    return []
  }
}
