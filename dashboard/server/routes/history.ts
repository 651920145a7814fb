import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../../../core/config/schema.js'
import type { Station } from '../../../core/types.js'
import { hoursToReach, trendWindowOf, windowTrend } from '../../../core/river/trend.js'
import { findGaps, type Gap } from '../../../core/river/gaps.js'
import { obstructionEpisodes, type ObstructionEpisode } from '../../../core/river/episodes.js'
import { usable } from '../../../store/series.js'
import type { Store } from '../../../store/store.js'
import { READERS } from '../auth/access.js'
import { ErrorBody, IdParams, SeriesBody, SeriesQuerySchema, TrendBody } from '../../contract/schemas.js'
import { stationInRange, stationRangeRoute } from './lookup.js'
import { currentOf, recentReadings } from '../current-level.js'

const MAX_SPAN_DAYS = 366
/** narrower buckets than this would only split one reading's minute */
const MIN_BUCKET_MS = 60_000

const NEXT_ORDER = ['standby', 'caution', 'evacuationJudgement', 'danger', 'flooding'] as const

/** the next MLIT threshold above `level` (観測開始水位 is a device setting, not a band) */
export function nextThreshold (level: number, t: Station['thresholds']): { key: string, value: number } | null {
  for (const key of NEXT_ORDER) if (t[key] > level) return { key, value: t[key] }
  return null
}

/**
 * The station page's history: a downsampled hydrograph (one bounded query on
 * either store) and each station's trend for the station table.
 */
export const historyRoutes: FastifyPluginAsyncTypebox<{ store: Store, config: Config }> = async (app, { store, config }) => {
  app.get('/api/stations/:id/series', stationRangeRoute(
    'Hydrograph: mean/min/max level per time bucket, with QC-flagged and missing counts. The bucket widens so the answer never exceeds `points`.',
    SeriesQuerySchema, SeriesBody
  ), async (request) => {
    const { station, from, to } = stationInRange(store, request, MAX_SPAN_DAYS)
    // +1 bucket: a range that starts mid-bucket touches one more
    const bucketMs = Math.max(MIN_BUCKET_MS, Math.ceil((to - from + 1) / Math.max(1, request.query.points - 1) / MIN_BUCKET_MS) * MIN_BUCKET_MS)
    const points = await store.readingSeries(station.id, { from, to, bucketMs })
    const { gaps, episodes } = await gapsAndEpisodes(store, station.id, from, to, config.river.qc.obstructionQuietMinutes * 60_000)
    return {
      stationId: station.id,
      from: iso(from),
      to: iso(to),
      bucketMs,
      points: points.map(p => ({ ...p, time: iso(p.time) })),
      gaps: gaps.map(g => ({ from: iso(g.from), to: iso(g.to) })),
      episodes: episodes.map(e => ({ ...e, start: iso(e.start), end: iso(e.end) }))
    }
  })

  app.get('/api/stations/trends', {
    config: { access: READERS },
    schema: {
      description: 'Per station: current (QC-confirmed) level, rate of rise over the rules\' trend window, the next threshold and the linear forecast to it.',
      response: { 200: Type.Array(TrendBody) }
    }
  }, async () => {
    const window = trendWindowOf(config.river.rules)
    const latest = await store.latestReadings()
    return await Promise.all(store.listStations().map(async s => {
      // the same current level as the map's popup (/api/stations): the newest one QC trusts
      const last = currentOf(await recentReadings(store, s.id, latest.get(s.id))).confirmed
      if (last === undefined) return { stationId: s.id, level: null, time: null, rateMPerHour: null, next: null, hoursToNext: null }
      const recent = (await store.readings(s.id, { from: last.time - window.maxMs, to: last.time, limit: 500, order: 'asc' })).filter(usable)
      // the one trend (core/river/trend.ts), the rules' own window: null = unknown while there is too little data
      const rate = windowTrend(recent, window)
      const next = nextThreshold(last.level, s.thresholds)
      return {
        stationId: s.id,
        level: last.level,
        time: iso(last.time),
        rateMPerHour: rate,
        next,
        hoursToNext: next === null ? null : hoursToReach(last.level, rate, next.value)
      }
    }))
  })
}

const MAX_EVENT_READINGS = 200_000

/**
 * 欠測 and obstruction episodes of the range from the stored frames (data time,
 * so a replay's hole shows where the data has it). One more bounded read; a range
 * with more frames than MAX_EVENT_READINGS answers none (zoom in).
 */
async function gapsAndEpisodes (store: Store, id: string, from: number, to: number, quietMs: number): Promise<{ gaps: Gap[], episodes: ObstructionEpisode[] }> {
  const rows = await store.readings(id, { from, to, limit: MAX_EVENT_READINGS + 1, order: 'asc' })
  if (rows.length > MAX_EVENT_READINGS) return { gaps: [], episodes: [] }
  return { gaps: findGaps(rows.map(r => r.time)), episodes: obstructionEpisodes(rows, quietMs) }
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
