import { MimamoriError } from '../../../core/errors.js'
import type { Station } from '../../../core/types.js'
import type { Store } from '../../../store/store.js'

/** the station named in the path, or a coded 404 */
export function stationOr404 (store: Pick<Store, 'getStation'>, id: string): Station {
  const station = store.getStation(id)
  if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${id}`)
  return station
}
