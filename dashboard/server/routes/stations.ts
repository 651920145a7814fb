import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import { classifyLevel } from '../../../core/levels.js'
import type { LevelStatus, Reading, Station } from '../../../core/types.js'
import { gaugeDownlink, type PublishDownlink } from '../../../codecs/downlink.js'
import { liveBand } from '../../../core/river/band.js'
import type { Store } from '../../../store/store.js'
import { DownlinkBody, DownlinkResult, ErrorBody, IdParams, ReadingBody, ReadingsQuery, StationBody, type DeviceStatusBody } from '../../contract/schemas.js'
import type { Static } from 'typebox'
import { OPERATORS, READERS } from '../auth/access.js'
import { stationInRange, stationOr404 } from './lookup.js'
import { currentOf, recentReadings } from '../current-level.js'

/** the last status of a device by kind and id (dashboard/server/index.ts keeps them from the bus) */
export type DeviceStatusLookup = (kind: string, deviceId: string) => Static<typeof DeviceStatusBody> | undefined

/** one query may span at most this long; longer history is the time-series backend's export job */
const MAX_SPAN_DAYS = 366

/**
 * `latest`: the current, QC-confirmed reading (current-level.ts); `band`: the live band
 * (core/river/band.ts) when the caller knows it, else the latest level's; `pending`: a newer
 * reading QC still holds, shown beside the level as such.
 */
export function stationView (station: Station, latest: Reading | undefined, band?: LevelStatus | 'unknown', pending?: Reading) {
  return {
    ...station,
    status: band ?? (latest === undefined || !Number.isFinite(latest.level) ? 'unknown' as const : classifyLevel(latest.level, station.thresholds)),
    latest: latest === undefined
      ? null
      : { time: iso(latest.time), receivedAt: iso(latest.receivedAt), level: latest.level, batteryV: latest.batteryV },
    pending: pending === undefined ? null : { time: iso(pending.time), receivedAt: iso(pending.receivedAt), level: pending.level, qcFlag: pending.qc?.flag ?? 3 }
  }
}

/** publishes a downlink QoS 1 (the app wiring's MQTT client); absent: this dashboard cannot reach devices */
export type SendDownlink = PublishDownlink

export const stationRoutes: FastifyPluginAsyncTypebox<{ store: Store, devices?: DeviceStatusLookup, sendDownlink?: SendDownlink }> = async (app, { store, devices, sendDownlink }) => {
  // The band follows the alerts' rule (flag 1, or flag 3 confirmed by the next reading), as the live one
  // does; the level shown is the confirmed one, a reading QC still holds is `pending`.
  const withDevice = async (s: Station, newest: Reading | undefined) => {
    const recent = await recentReadings(store, s.id, newest)
    const { confirmed, pending } = currentOf(recent)
    const band = liveBand([...recent].reverse(), s.thresholds) ?? 'unknown'
    return { ...stationView(s, confirmed, band, pending), device: devices?.('gauge', s.deviceId) ?? null }
  }
  app.get('/api/stations', {
    config: { access: READERS },
    schema: { response: { 200: Type.Array(StationBody) } }
  }, async () => {
    const latest = await store.latestReadings()
    return await Promise.all(store.listStations().map(async s => await withDevice(s, latest.get(s.id))))
  })

  app.get('/api/stations/:id', {
    config: { access: READERS },
    schema: { params: IdParams, response: { 200: StationBody, 404: ErrorBody } }
  }, async (request) => {
    const station = stationOr404(store, request.params.id)
    const latest = await store.latestReadings()
    return await withDevice(station, latest.get(station.id))
  })

  app.post('/api/stations/:id/downlink', {
    config: { access: OPERATORS, audit: 'downlink.send' },
    schema: { params: IdParams, body: DownlinkBody, response: { 202: DownlinkResult, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody } }
  }, async (request, reply) => {
    const station = stationOr404(store, request.params.id)
    const { reason, ...settings } = request.body
    const dl = gaugeDownlink(station.deviceId, settings)
    if (sendDownlink === undefined) throw new MimamoriError('MIMAMORI_ERR_MQTT', 'this dashboard has no MQTT connection for downlinks (run it in the all-in-one, or use `mimamori device downlink`)')
    await sendDownlink(dl.topic, dl.bytes)
    // who and why also go to the audit log (auth hook), with the request body
    request.log.info({ station: station.id, device: station.deviceId, settings: dl.settings, by: request.principal?.username, reason }, 'downlink sent')
    return await reply.status(202).send({ stationId: station.id, deviceId: station.deviceId, topic: dl.topic, fPort: dl.fPort, bytes: dl.bytes.toString('hex'), settings: { ...dl.settings } })
  })

  app.get('/api/stations/:id/readings', {
    config: { access: READERS },
    schema: {
      params: IdParams,
      querystring: ReadingsQuery,
      response: { 200: Type.Object({ stationId: Type.String(), from: Type.String(), to: Type.String(), readings: Type.Array(ReadingBody) }), 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request) => {
    const { station, from, to } = stationInRange(store, request, MAX_SPAN_DAYS)
    const rows = await store.readings(station.id, { from, to, limit: request.query.limit })
    return {
      stationId: station.id,
      from: iso(from),
      to: iso(to),
      readings: rows.map(r => ({
        time: iso(r.time),
        receivedAt: iso(r.receivedAt),
        level: Number.isFinite(r.level) ? r.level : null,
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
