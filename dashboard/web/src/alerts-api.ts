/** The alert API as the browser sees it (server: dashboard/server/routes/alerts.ts). */

import type { Static } from 'typebox'
import { ALERT_SEVERITIES, type AlertSeverity, type AlertState } from '../../../core/types.js'
import type { AlertBody, AlertEvent as AlertEventSchema } from '../../contract/index.js'
import { csrfHeaders } from './session.js'

export type { AlertSeverity, AlertState }

export const OPEN_STATES: readonly AlertState[] = ['pending', 'firing', 'acknowledged']
/** CAP order, calm first: the index is the rank */
export const SEVERITIES: readonly AlertSeverity[] = ALERT_SEVERITIES

/** the contract's AlertBody schema (dashboard/contract) as JSON: times are ISO strings */
export type AlertView = Static<typeof AlertBody>

/** SSE `alert`: the alert after the change, with the transition */
export type AlertEvent = Static<typeof AlertEventSchema>

/** A refusal from the server, with its MIMAMORI_ERR_* code (e.g. 409 MIMAMORI_ERR_ALERT_STATE). */
export class AlertApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'AlertApiError'
  }
}

export function severityRank (s: AlertSeverity): number {
  return SEVERITIES.indexOf(s)
}

export function isOpen (state: AlertState): boolean {
  return state !== 'resolved'
}

async function request<T> (url: string, init: RequestInit = {}): Promise<T> {
  let res: Response
  try {
    res = await fetch(url, { cache: 'no-store', ...init, headers: { accept: 'application/json', ...init.headers } })
  } catch (err) {
    throw new AlertApiError(0, 'MIMAMORI_ERR_NETWORK', (err as Error).message)
  }
  if (!res.ok) {
    let code = `HTTP_${res.status}`
    let message = res.statusText
    try {
      const body = await res.json() as { code?: unknown, message?: unknown }
      if (typeof body.code === 'string') code = body.code
      if (typeof body.message === 'string') message = body.message
    } catch {
      // not JSON (a proxy's error page): keep the status line
    }
    throw new AlertApiError(res.status, code, message)
  }
  return await res.json() as T
}

/** pending, firing and acknowledged alerts, every kind */
export function fetchOpenAlerts (signal?: AbortSignal): Promise<AlertView[]> {
  return request<AlertView[]>('/api/alerts?state=open&limit=500', { signal: signal ?? null })
}

export type AlertAction = 'ack' | 'resolve'

/** POST /api/alerts/:id/ack | resolve { by, note? } → the alert after the change */
export function postAlertAction (id: string, action: AlertAction, by: string, note?: string): Promise<AlertView> {
  const body: { by: string, note?: string } = { by }
  if (note !== undefined && note !== '') body.note = note
  return request<AlertView>(`/api/alerts/${encodeURIComponent(id)}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...csrfHeaders() },
    body: JSON.stringify(body)
  })
}

/**
 * POST /api/alerts/group/ack | resolve { ids }: one click on a station event; the
 * server changes every member and the notifier sends one message per person for it.
 */
export function postGroupAction (ids: string[], action: AlertAction, note?: string): Promise<AlertView[]> {
  const body: { ids: string[], note?: string } = { ids }
  if (note !== undefined && note !== '') body.note = note
  return request<AlertView[]>(`/api/alerts/group/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...csrfHeaders() },
    body: JSON.stringify(body)
  })
}

/** What an alert is about, looked up by subjectId in /api/stations and /api/cameras. */
export interface AlertSubject {
  type: 'station' | 'camera'
  id: string
  name: string
  nameEn: string
  lat: number
  lon: number
}
