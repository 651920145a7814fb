import { MimamoriError } from '../../../core/errors.js'
import type { Station } from '../../../core/types.js'
import type { Store } from '../../../store/store.js'
import type { TSchema } from 'typebox'
import { READERS } from '../auth/access.js'
import { ErrorBody, IdParams } from '../../contract/schemas.js'
import { timeRange } from './time-range.js'

/** the station named in the path, or a coded 404 */
export function stationOr404 (store: Pick<Store, 'getStation'>, id: string): Station {
  const station = store.getStation(id)
  if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${id}`)
  return station
}

/**
 * Route options of a read over one station's time range (`/api/stations/:id/…` with from/to):
 * readers only; 400 for a bad range, 404 for an unknown station.
 */
export function stationRangeRoute<Q extends TSchema, B extends TSchema> (description: string, querystring: Q, body: B) {
  return {
    config: { access: READERS },
    schema: { description, params: IdParams, querystring, response: { 200: body, 400: ErrorBody, 404: ErrorBody } }
  }
}

/** the station and the time range of such a read: an unknown station is refused before a bad range */
export function stationInRange (store: Pick<Store, 'getStation'>, request: { params: { id: string }, query: { from?: string | undefined, to?: string | undefined } }, maxDays: number): { station: Station, from: number, to: number } {
  const station = stationOr404(store, request.params.id)
  return { station, ...timeRange(request.query, maxDays) }
}
