import { readFileSync } from 'node:fs'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { evaluateAccuracy } from '../../../core/accuracy/metrics.js'
import { parseSeriesCsv, type Point } from '../../../core/accuracy/series.js'
import type { Config } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import { usable } from '../../../store/series.js'
import type { Store } from '../../../store/store.js'
import { EvaluateBody, EvaluateQuery } from '../../contract/accuracy.js'
import { stationInRange, stationRangeRoute } from './lookup.js'

/** an evaluation compares weeks of 10-minute readings at most; a year would be 52 560 rows a side */
const MAX_SPAN_DAYS = 92
const MAX_ROWS = 200_000
const THRESHOLD_KEYS = ['standby', 'caution', 'evacuationJudgement', 'danger'] as const

/**
 * 精度評価 on the station page: one of our stations against a reference series — another of our
 * stations (what researchers compare side by side) or a configured MLIT reference gauge read from its
 * file. Same library as `mimamori evaluate`; read-only, so no audit entry.
 */
export const evaluateRoutes: FastifyPluginAsyncTypebox<{ store: Store, config: Config }> = async (app, { store, config }) => {
  async function stored (id: string, from: number, to: number): Promise<Point[]> {
    const rows = await store.readings(id, { from, to, limit: MAX_ROWS, order: 'asc' })
    return rows.filter(usable).map(r => ({ time: r.time, level: r.level })).sort((a, b) => a.time - b.time)
  }

  async function referenceSeries (id: string, from: number, to: number): Promise<{ kind: 'station' | 'mlit', name: string, points: Point[] }> {
    const ours = store.getStation(id)
    if (ours !== undefined) return { kind: 'station', name: ours.name, points: await stored(id, from, to) }
    const mlit = config.official.referenceStations.find(r => r.id === id)
    if (mlit === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station or reference gauge ${id}`)
    // a URL-fed gauge is only held in memory by official/; the file is what this process can read
    if (mlit.file === '') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `reference gauge ${id} has no file series to compare with`)
    const points = parseSeriesCsv(readFileSync(mlit.file, 'utf8'), mlit.file).filter(p => p.time >= from && p.time <= to)
    return { kind: 'mlit', name: mlit.name, points }
  }

  app.get('/api/stations/:id/evaluate', stationRangeRoute(
    '精度評価: bias, RMSE, lag by cross-correlation, missing share and threshold crossings (of `thresholds`, default the station\'s own) of this station against `reference` (our station id or an MLIT reference gauge id).',
    EvaluateQuery, EvaluateBody
  ), async (request) => {
    const { station, from, to } = stationInRange(store, request, MAX_SPAN_DAYS)
    const ref = await referenceSeries(request.query.reference, from, to)
    const ours = await stored(station.id, from, to)
    if (ours.length === 0 || ref.points.length === 0) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `no readings in the range for ${ours.length === 0 ? station.id : request.query.reference}`)
    const keys = new Map<number, string>()
    if (request.query.thresholds !== undefined) for (const v of request.query.thresholds.split(',')) keys.set(Number(v), '')
    else for (const k of THRESHOLD_KEYS) if (!keys.has(station.thresholds[k])) keys.set(station.thresholds[k], k)
    const r = evaluateAccuracy(ours, ref.points, { from, to, thresholds: [...keys.keys()] })
    const iso = (t: number | null): string | null => t === null ? null : new Date(t).toISOString()
    return {
      stationId: station.id,
      reference: { id: request.query.reference, kind: ref.kind, name: ref.name },
      from: new Date(r.window.from).toISOString(),
      to: new Date(r.window.to).toISOString(),
      stepMs: r.stepMs,
      pairs: r.pairs,
      biasM: r.biasM,
      rmseM: r.rmseM,
      unbiasedRmseM: r.unbiasedRmseM,
      lagMs: r.lagMs,
      correlationAtLag: r.correlationAtLag,
      atLag: r.atLag,
      missingShare: r.missingShare,
      crossings: r.crossings.map(c => ({ ...c, key: keys.get(c.threshold) ?? '', referenceTime: iso(c.referenceTime), oursTime: iso(c.oursTime) }))
    }
  })
}
