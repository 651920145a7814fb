import type { Reading } from '../../core/types.js'
import { findGaps } from '../../core/river/gaps.js'
import { obstructionEpisodes } from '../../core/river/episodes.js'
import type { Store } from '../store.js'

/** as datasets.ts Cell / Column (declared here too: datasets.ts imports this file) */
type Cell = string | number | boolean | null
interface Column { name: string, type: 'STRING' | 'DOUBLE' | 'INT32' | 'TIMESTAMP' | 'BOOLEAN' }

/**
 * The `events` dataset: per station, what the readings alone do not say in one
 * row — gaps (欠測: no frame for longer than the station's cadence allows) and
 * obstruction / dropout episodes of a distance sensor (core/river/episodes.ts),
 * each with start, end and counts. Derived from the stored readings and their QC.
 */
export const EVENT_COLUMNS: Column[] = [
  { name: 'station_id', type: 'STRING' }, { name: 'kind', type: 'STRING' },
  { name: 'start', type: 'TIMESTAMP' }, { name: 'end', type: 'TIMESTAMP' },
  { name: 'minutes', type: 'DOUBLE' }, { name: 'readings_failed', type: 'INT32' }, { name: 'readings_kept', type: 'INT32' },
  { name: 'level_m', type: 'DOUBLE' }, { name: 'note', type: 'STRING' }
]

/** all of one station's readings in range, in pages (times and QC only are kept) */
async function slim (store: Store, id: string, from: number, to: number): Promise<Array<Pick<Reading, 'time' | 'level' | 'qc'>>> {
  const out: Array<Pick<Reading, 'time' | 'level' | 'qc'>> = []
  let cursor = from
  for (;;) {
    const page = await store.readings(id, { from: cursor, to, limit: 10_000, order: 'asc' })
    for (const r of page) out.push({ time: r.time, level: r.level, qc: r.qc })
    if (page.length < 10_000) break
    cursor = page[page.length - 1]!.time + 1
  }
  return out
}

export async function stationEvents (store: Store, id: string, from: number, to: number, quietMs: number): Promise<Cell[][]> {
  const rows = await slim(store, id, from, to)
  const minutes = (a: number, b: number): number => Math.round((b - a) / 6_000) / 10
  const gaps = findGaps(rows.map(r => r.time)).map(g => [id, 'gap', g.from, g.to, minutes(g.from, g.to), 0, 0, null, '欠測: no frame between these readings'] as Cell[])
  const episodes = obstructionEpisodes(rows, quietMs).map(e => [id, e.kind, e.start, e.end, minutes(e.start, e.end), e.echoes, e.kept, e.echoLevel,
    `${e.kind === 'obstruction' ? '障害物' : 'dropout'}: echo readings failed, genuine readings between them kept${e.open ? ' (still open)' : ''}`] as Cell[])
  return [...gaps, ...episodes].sort((a, b) => (a[2] as number) - (b[2] as number))
}
