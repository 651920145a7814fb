import type { Alert } from '../core/types.js'
import { distanceM } from '../core/geofence.js'
import { atLeastLevel, mlitLevel, severityRank } from './levels.js'
import type { Subscription } from './types.js'

/** Where an alert's subject is: a station (with its river) or a camera. */
export interface Place { lat: number, lon: number, river: string | null }

/**
 * Does this subscription want this alert? Kind, station/camera, river, area,
 * severity and MLIT level all have to agree; hunters get wildlife alerts routed
 * to their areas (ingest/wildlife put their ids in details.hunters).
 */
export function wants (sub: Subscription, alert: Alert, place: Place | undefined): boolean {
  if (sub.kinds.length > 0 && !sub.kinds.includes(alert.kind)) return false
  if (sub.stations.length > 0 && !sub.stations.includes(alert.subjectId)) return false
  if (sub.rivers.length > 0 && (place?.river == null || !sub.rivers.includes(place.river))) return false
  if (sub.area !== null && (place === undefined || distanceM(sub.area.lat, sub.area.lon, place.lat, place.lon) > sub.area.radiusM)) return false
  if (severityRank(alert.severity) < severityRank(sub.minSeverity)) return false
  const level = mlitLevel(alert)
  if (sub.minLevel > 0 && alert.kind === 'river' && (level ?? 0) < sub.minLevel) return false
  if (sub.hunterId !== null && alert.kind === 'wildlife') {
    const hunters = Array.isArray(alert.details.hunters) ? alert.details.hunters as unknown[] : []
    if (!hunters.includes(sub.hunterId)) return false
  }
  // a hunter's phone is for monkeys; river alerts reach hunters only when they asked for them by kind
  if (sub.role === 'hunter' && alert.kind !== 'wildlife' && !sub.kinds.includes(alert.kind)) return false
  return true
}

/** Lv4+ (or severity extreme) is never held by quiet hours. */
export function neverHeld (alert: Alert): boolean {
  return atLeastLevel(alert, 4)
}

/**
 * When a message may go out under the subscription's quiet hours: now, or the end
 * of the quiet window (local time in `timezone`). A window may wrap midnight (22:00–06:00).
 */
export function releaseAt (quiet: Subscription['quietHours'], now: number, timezone: string): number {
  if (quiet === null) return now
  const start = minutesOf(quiet.start)
  const end = minutesOf(quiet.end)
  if (start === end) return now
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(now)
  const get = (t: string): number => Number(parts.find(p => p.type === t)?.value ?? 0)
  const local = get('hour') * 60 + get('minute')
  const inside = start < end ? local >= start && local < end : local >= start || local < end
  if (!inside) return now
  const wait = ((end - local + 1440) % 1440) * 60_000 - get('second') * 1000 - (now % 1000)
  return now + Math.max(0, wait)
}

function minutesOf (hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}
