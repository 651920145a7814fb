import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { classifyLevel } from '../../../core/levels.js'
import type { Reading, Station } from '../../../core/types.js'
import type { Store } from '../../../ingest/store/store.js'
import { ErrorBody, IdParams, ReadingBody, ReadingsQuery, StationBody } from '../schemas.js'

const DAY_MS = 86_400_000
/** one query may span at most this long; longer history is the time-series backend's export job */
const MAX_SPAN_MS = 366 * DAY_MS

export function stationView (station: Station, latest: Reading | undefined) {
  return {
    ...station,
    status: latest === undefined ? 'unknown' as const : classifyLevel(latest.level, station.thresholds),
    latest: latest === undefined
      ? null
      : { time: iso(latest.time), receivedAt: iso(latest.receivedAt), level: latest.level, batteryV: latest.batteryV }
  }
}

export const stationRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get('/api/stations', {
    schema: { response: { 200: Type.Array(StationBody) } }
  }, async () => {
    const latest = await store.latestReadings()
    return store.listStations().map(s => stationView(s, latest.get(s.id)))
  })

  app.get('/api/stations/:id', {
    schema: { params: IdParams, response: { 200: StationBody, 404: ErrorBody } }
  }, async (request) => {
    const station = store.getStation(request.params.id)
    if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${request.params.id}`)
    const latest = await store.latestReadings()
    return stationView(station, latest.get(station.id))
  })

  app.get('/api/stations/:id/readings', {
    schema: {
      params: IdParams,
      querystring: ReadingsQuery,
      response: { 200: Type.Object({ stationId: Type.String(), from: Type.String(), to: Type.String(), readings: Type.Array(ReadingBody) }), 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request) => {
    const station = store.getStation(request.params.id)
    if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${request.params.id}`)
    const to = request.query.to === undefined ? Date.now() : Date.parse(request.query.to)
    const from = request.query.from === undefined ? to - DAY_MS : Date.parse(request.query.from)
    if (from > to) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'querystring.from must not be after querystring.to')
    if (to - from > MAX_SPAN_MS) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'querystring span from..to must not exceed 366 days')
    const rows = await store.readings(station.id, { from, to, limit: request.query.limit })
    return {
      stationId: station.id,
      from: iso(from),
      to: iso(to),
      readings: rows.map(r => ({
        time: iso(r.time),
        receivedAt: iso(r.receivedAt),
        level: r.level,
        batteryV: r.batteryV,
        temperatureC: r.temperatureC,
        spreadMm: r.spreadMm,
        validPings: r.validPings,
        totalPings: r.totalPings,
        deviceFlags: r.deviceFlags,
        ...(r.qc === undefined ? {} : { qc: r.qc })
      }))
    }
  })
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
