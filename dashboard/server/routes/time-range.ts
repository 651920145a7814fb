import { MimamoriError } from '../../../core/errors.js'

const DAY_MS = 86_400_000

/**
 * The `from`/`to` of a history query as epoch ms: the last day up to now by default,
 * refused with a coded 400 when reversed or wider than `maxDays` (one query must stay bounded).
 */
export function timeRange (query: { from?: string | undefined, to?: string | undefined }, maxDays: number): { from: number, to: number } {
  const to = query.to === undefined ? Date.now() : Date.parse(query.to)
  const from = query.from === undefined ? to - DAY_MS : Date.parse(query.from)
  if (from > to) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'querystring.from must not be after querystring.to')
  if (to - from > maxDays * DAY_MS) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `querystring span from..to must not exceed ${maxDays} days`)
  return { from, to }
}
