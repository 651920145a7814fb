import { MimamoriError } from '../core/errors.js'
import type { Config } from '../core/config/schema.js'
import type { SeriesBucket, SeriesQuery } from './store.js'

type InfluxConfig = Config['store']['influx']

/** The InfluxQL reads of the influxdb backend (store/influx.ts): one HTTP GET /query per call. */
export function createInfluxQuery (cfg: InfluxConfig): {
  influxql(q: string): Promise<Array<Record<string, unknown>>>
  seriesFromInflux(stationId: string, q: SeriesQuery): Promise<SeriesBucket[]>
  queryBase: string
  database: string
} {
  const queryBase = (cfg.queryUrl === '' ? cfg.url : cfg.queryUrl).replace(/\/+$/, '')
  const database = cfg.database === '' ? cfg.bucket : cfg.database

  async function influxql (q: string): Promise<Array<Record<string, unknown>>> {
    return (await influxqlResults(q)).flat()
  }

  /** one HTTP request; one row list per statement (a `;`-separated query answers each in order) */
  async function influxqlResults (q: string): Promise<Array<Array<Record<string, unknown>>>> {
    const url = `${queryBase}/query?${new URLSearchParams({ db: database, q, epoch: 'ms' }).toString()}`
    const headers: Record<string, string> = { accept: 'application/json' }
    if (cfg.token !== '') headers.authorization = `Token ${cfg.token}`
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(cfg.timeoutMs) })
    if (!res.ok) throw new MimamoriError('MIMAMORI_ERR_TSDB', `InfluxQL query failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`)
    const body = await res.json() as { results?: Array<{ error?: string, series?: Array<{ columns: string[], values: unknown[][] }> }> }
    const out: Array<Array<Record<string, unknown>>> = []
    for (const result of body.results ?? []) {
      if (result.error !== undefined) throw new MimamoriError('MIMAMORI_ERR_TSDB', `InfluxQL: ${result.error}`)
      const rows: Array<Record<string, unknown>> = []
      for (const s of result.series ?? []) {
        for (const values of s.values) rows.push(Object.fromEntries(s.columns.map((c, i) => [c, values[i]])))
      }
      out.push(rows)
    }
    return out
  }

  /**
   * Three statements in one request over the same GROUP BY time() grid (epoch-aligned,
   * as the embedded backend cuts): usable levels (flag < 4), suspect/failed counts,
   * and all frames (count of seq) so gaps = frames − levels. Points written before
   * QC existed have no qc_flag and drop out of the first statement.
   */
  async function seriesFromInflux (stationId: string, q: SeriesQuery): Promise<SeriesBucket[]> {
    const m = quoteIdent(cfg.measurement)
    const where = `"station" = ${quoteString(stationId)} AND time >= ${Math.floor(q.from)}ms AND time <= ${Math.floor(q.to)}ms`
    const group = `GROUP BY time(${Math.max(1, Math.round(q.bucketMs))}ms) fill(none)`
    const sql = [
      `SELECT mean("level") AS "mean", min("level") AS "min", max("level") AS "max", count("level") AS "count" FROM ${m} WHERE ${where} AND "qc_flag" < 4 ${group}`,
      `SELECT count("level") AS "flagged" FROM ${m} WHERE ${where} AND "qc_flag" >= 3 AND "qc_flag" <= 4 ${group}`,
      `SELECT count("seq") AS "frames", count("level") AS "levels" FROM ${m} WHERE ${where} ${group}`
    ].join('; ')
    const [good = [], flagged = [], frames = []] = await influxqlResults(sql)
    // VictoriaMetrics answers /query with rows that carry no time: that is no InfluxQL, read the ledger instead
    if ([...good, ...flagged, ...frames].some(r => typeof r.time !== 'number')) throw new MimamoriError('MIMAMORI_ERR_TSDB', 'the query endpoint gave rows without a time (not InfluxQL)')
    const byTime = new Map<number, SeriesBucket>()
    const at = (time: number): SeriesBucket => {
      let b = byTime.get(time)
      if (b === undefined) { b = { time, mean: null, min: null, max: null, count: 0, flagged: 0, missing: 0 }; byTime.set(time, b) }
      return b
    }
    for (const r of good) Object.assign(at(Number(r.time)), { mean: num(r.mean), min: num(r.min), max: num(r.max), count: Number(r.count ?? 0) })
    for (const r of flagged) at(Number(r.time)).flagged = Number(r.flagged ?? 0)
    for (const r of frames) at(Number(r.time)).missing = Math.max(0, Number(r.frames ?? 0) - Number(r.levels ?? 0))
    return [...byTime.values()].sort((a, b) => a.time - b.time)
  }

  return { influxql, seriesFromInflux, queryBase, database }
}

function num (v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export function quoteIdent (s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

export function quoteString (s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
