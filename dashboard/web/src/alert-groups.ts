import type { AlertView } from './alerts-api.js'
import { severityRank } from './alerts-api.js'

/** MLIT level of a river rule (notify/levels.ts keeps the server's copy) */
const RULE_LEVEL: Record<string, number> = {
  'threshold.standby': 1,
  'threshold.caution': 2,
  'threshold.evacuationJudgement': 3,
  'threshold.danger': 4,
  'forecast.danger': 4,
  'threshold.flooding': 5
}

export function alertLevel (a: Pick<AlertView, 'kind' | 'rule'>): number | null {
  return a.kind === 'river' ? RULE_LEVEL[a.rule] ?? null : null
}

/** One station event: every open alert of one subject (a flood raises up to five threshold alerts plus rate and forecast). */
export interface AlertGroup {
  key: string
  subjectId: string
  kind: string
  drill: boolean
  /** the alert that speaks for the group: highest level, then severity, then firing before acknowledged */
  top: AlertView
  members: AlertView[]
  /** highest MLIT level reached in this event (open alerts) */
  highestLevel: number | null
}

const STATE_ORDER: Record<string, number> = { firing: 0, pending: 1, acknowledged: 2, resolved: 3 }

function concern (a: AlertView, b: AlertView): number {
  return (alertLevel(b) ?? 0) - (alertLevel(a) ?? 0) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) ||
    Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt)
}

/**
 * Groups open alerts per subject (station or camera) and drill flag, so the
 * staff list has one row per station event instead of one per threshold; the
 * groups keep the order of the list they came from (its first member decides).
 */
export function groupAlerts (items: AlertView[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>()
  for (const a of items) {
    const key = `${a.kind}/${a.subjectId}${a.drill ? '/drill' : ''}`
    let g = groups.get(key)
    if (g === undefined) {
      g = { key, subjectId: a.subjectId, kind: a.kind, drill: a.drill, top: a, members: [], highestLevel: null }
      groups.set(key, g)
    }
    g.members.push(a)
  }
  for (const g of groups.values()) {
    g.members.sort(concern)
    g.top = g.members[0]!
    const levels = g.members.map(alertLevel).filter((l): l is number => l !== null)
    g.highestLevel = levels.length === 0 ? null : Math.max(...levels)
  }
  return [...groups.values()]
}

/** latest level and trend of a station (GET /api/stations/trends) */
export interface StationNow {
  stationId: string
  level: number | null
  time: string | null
  rateMPerHour: number | null
}

let trends = new Map<string, StationNow>()
let fetchedAt = 0
let inflight: Promise<void> | undefined

/** the station's current level as the map holds it (the figure its popup shows): null = none confirmed, undefined = not a map station */
export type LiveLevel = (id: string) => { level: number, time: string } | null | undefined
let liveLevel: LiveLevel | undefined

/** the alert card and banner read the level from the map (live, the popup's figure); the trends add only the rate */
export function useLiveLevels (lookup: LiveLevel): void {
  liveLevel = lookup
}

/** refreshed when older than `maxAgeMs` (30 s; sooner after an alert event); failures keep the last figures */
export async function refreshStationNow (maxAgeMs = 30_000): Promise<void> {
  if (Date.now() - fetchedAt < maxAgeMs) return
  inflight ??= (async () => {
    try {
      const res = await fetch('/api/stations/trends', { headers: { accept: 'application/json' }, cache: 'no-store' })
      if (res.ok) {
        trends = new Map((await res.json() as StationNow[]).map(t => [t.stationId, t]))
        fetchedAt = Date.now()
      }
    } catch {
      // offline for a moment: the row keeps what it showed
    } finally {
      inflight = undefined
    }
  })()
  await inflight
}

export function stationNow (id: string): StationNow | undefined {
  const trend = trends.get(id)
  const live = liveLevel?.(id)
  if (live === undefined) return trend
  // one current level on the screen: a trends answer fetched before the last reading would lag the popup
  return { stationId: id, level: live?.level ?? null, time: live?.time ?? null, rateMPerHour: trend?.rateMPerHour ?? null }
}

/** ↑ rising / → steady / ↓ falling, from the rate over the rules' trend window */
export function trendArrow (rate: number | null): { arrow: string, key: 'rising' | 'steady' | 'falling' | 'unknown' } {
  if (rate === null) return { arrow: '', key: 'unknown' }
  if (rate > 0.05) return { arrow: '↑', key: 'rising' }
  if (rate < -0.05) return { arrow: '↓', key: 'falling' }
  return { arrow: '→', key: 'steady' }
}
