import Database from 'better-sqlite3'
import { MimamoriError } from '../../core/errors.js'
import type { Reading } from '../../core/types.js'
import type { Store } from '../store.js'
import { EVENT_COLUMNS, stationEvents } from './events.js'

export const EXPORT_DATASETS = ['readings', 'detections', 'sightings', 'alerts', 'events'] as const
export type ExportDataset = typeof EXPORT_DATASETS[number]

export type ColumnType = 'STRING' | 'DOUBLE' | 'INT32' | 'TIMESTAMP' | 'BOOLEAN'
export interface Column { name: string, type: ColumnType }
/** TIMESTAMP cells are ms since the epoch; the writers format them */
export type Cell = string | number | boolean | null

export interface ExportRequest {
  dataset: ExportDataset
  /** station ids (readings, alerts) or camera ids (detections, sightings); empty: all */
  ids: string[]
  /** inclusive, ms */
  from: number
  /** inclusive, ms */
  to: number
}

/** A dataset as batches of rows, read page by page so no export holds more than one batch. */
export interface ExportSource {
  columns: Column[]
  /** rows the export will hold (exact on SQLite tables; readings: frames counted per station) */
  estimate(): Promise<number>
  batches(): AsyncGenerator<Cell[][]>
}

/** rows per page read from the store: one Parquet row group, about 1 MB of CSV; memory stays flat (bench/export runs under a 64 MB heap cap) */
export const BATCH_ROWS = 10_000

export interface SourceDeps {
  store: Store
  /** the embedded SQLite file (detections, sightings and alerts live there on every backend) */
  file: string
}

export function exportSource (req: ExportRequest, deps: SourceDeps): ExportSource {
  switch (req.dataset) {
    case 'readings': return readingsSource(req, deps.store)
    case 'detections': return tableSource(deps.file, DETECTIONS, req)
    case 'sightings': return tableSource(deps.file, SIGHTINGS, req)
    case 'alerts': return tableSource(deps.file, ALERTS, req)
    case 'events': return eventsSource(req, deps.store)
  }
}

const READING_COLUMNS: Column[] = [
  { name: 'station_id', type: 'STRING' }, { name: 'device_id', type: 'STRING' },
  { name: 'time', type: 'TIMESTAMP' }, { name: 'received_at', type: 'TIMESTAMP' },
  { name: 'level_m', type: 'DOUBLE' }, { name: 'qc_flag', type: 'INT32' }, { name: 'qc_tests', type: 'STRING' },
  { name: 'battery_v', type: 'DOUBLE' }, { name: 'temperature_c', type: 'DOUBLE' }, { name: 'spread_mm', type: 'DOUBLE' },
  { name: 'valid_pings', type: 'INT32' }, { name: 'total_pings', type: 'INT32' }, { name: 'device_flags', type: 'INT32' }, { name: 'seq', type: 'INT32' }
]

function readingRow (r: Reading): Cell[] {
  return [
    r.stationId, r.deviceId, r.time, r.receivedAt,
    Number.isFinite(r.level) ? r.level : null, r.qc?.flag ?? null, r.qc === undefined || Object.keys(r.qc.tests).length === 0 ? null : JSON.stringify(r.qc.tests),
    r.batteryV, r.temperatureC, r.spreadMm, r.validPings, r.totalPings, r.deviceFlags, r.seq
  ]
}

/** gaps (欠測) and obstruction episodes per station (events.ts) */
function eventsSource (req: ExportRequest, store: Store): ExportSource {
  const stations = req.ids.length === 0 ? store.listStations().map(s => s.id) : req.ids
  for (const id of stations) if (store.getStation(id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${id}`)
  const rows = async (): Promise<Cell[][]> => (await Promise.all(stations.map(id => stationEvents(store, id, req.from, req.to, 60 * 60_000)))).flat()
  let cached: Promise<Cell[][]> | undefined
  return {
    columns: EVENT_COLUMNS,
    async estimate () { return (await (cached ??= rows())).length },
    async * batches () { yield await (cached ??= rows()) }
  }
}

/** through the Store, so the InfluxDB backend exports what InfluxQL holds; keyset pages by time */
function readingsSource (req: ExportRequest, store: Store): ExportSource {
  const stations = req.ids.length === 0 ? store.listStations().map(s => s.id) : req.ids
  for (const id of stations) if (store.getStation(id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${id}`)
  return {
    columns: READING_COLUMNS,
    async estimate () {
      let n = 0
      // one whole-range bucket per station: its counts are the frames in range (suspect ones counted in both)
      for (const id of stations) {
        for (const b of await store.readingSeries(id, { from: req.from, to: req.to, bucketMs: req.to - req.from + 1 })) n += b.count + b.missing + b.flagged
      }
      return n
    },
    async * batches () {
      for (const id of stations) {
        let from = req.from
        for (;;) {
          const page = await store.readings(id, { from, to: req.to, limit: BATCH_ROWS, order: 'asc' })
          if (page.length > 0) yield page.map(readingRow)
          if (page.length < BATCH_ROWS) break
          from = page[page.length - 1]!.time + 1
        }
      }
    }
  }
}

interface TableSpec {
  columns: Column[]
  /** SELECT … FROM … WHERE <time> BETWEEN @from AND @to [AND <idColumn> IN (…)], in time order */
  select: string
  timeColumn: string
  idColumn: string
  order: string
  row(r: Record<string, unknown>): Cell[]
}

const DETECTIONS: TableSpec = {
  columns: [
    { name: 'camera_id', type: 'STRING' }, { name: 'time', type: 'TIMESTAMP' }, { name: 'frame_index', type: 'INT32' },
    { name: 'burst_id', type: 'STRING' }, { name: 'positive', type: 'BOOLEAN' }, { name: 'score', type: 'DOUBLE' },
    { name: 'label', type: 'STRING' }, { name: 'via', type: 'STRING' }, { name: 'boxes', type: 'STRING' },
    { name: 'error_code', type: 'STRING' }, { name: 'analysed_at', type: 'TIMESTAMP' }
  ],
  select: 'SELECT camera_id, time, frame_index, burst_id, positive, score, label, via, boxes, error_code, analysed_at FROM detections',
  timeColumn: 'time',
  idColumn: 'camera_id',
  order: 'time, camera_id, frame_index',
  row: r => [r.camera_id, r.time, r.frame_index, r.burst_id, r.positive === 1, r.score, r.label, r.via, r.boxes, r.error_code ?? null, r.analysed_at] as Cell[]
}

const SIGHTINGS: TableSpec = {
  columns: [
    { name: 'id', type: 'STRING' }, { name: 'camera_id', type: 'STRING' }, { name: 'burst_id', type: 'STRING' },
    { name: 'time', type: 'TIMESTAMP' }, { name: 'lat', type: 'DOUBLE' }, { name: 'lon', type: 'DOUBLE' },
    { name: 'frames', type: 'INT32' }, { name: 'positives', type: 'INT32' }, { name: 'best_score', type: 'DOUBLE' },
    { name: 'label', type: 'STRING' }, { name: 'alert_id', type: 'STRING' }, { name: 'suppressed', type: 'BOOLEAN' }
  ],
  select: `SELECT id, camera_id, burst_id, time, json_extract(doc, '$.lat') AS lat, json_extract(doc, '$.lon') AS lon,
    json_extract(doc, '$.frames') AS frames, json_extract(doc, '$.positives') AS positives, json_extract(doc, '$.bestScore') AS best_score,
    json_extract(doc, '$.label') AS label, alert_id, suppressed FROM sightings`,
  timeColumn: 'time',
  idColumn: 'camera_id',
  order: 'time, id',
  row: r => [r.id, r.camera_id, r.burst_id, r.time, r.lat ?? null, r.lon ?? null, r.frames ?? null, r.positives ?? null, r.best_score ?? null, r.label ?? null, r.alert_id ?? null, r.suppressed === 1] as Cell[]
}

const ALERTS: TableSpec = {
  columns: [
    { name: 'id', type: 'STRING' }, { name: 'kind', type: 'STRING' }, { name: 'subject_id', type: 'STRING' },
    { name: 'rule', type: 'STRING' }, { name: 'severity', type: 'STRING' }, { name: 'state', type: 'STRING' },
    { name: 'drill', type: 'BOOLEAN' }, { name: 'title', type: 'STRING' }, { name: 'observed_at', type: 'TIMESTAMP' },
    { name: 'fired_at', type: 'TIMESTAMP' }, { name: 'acknowledged_at', type: 'TIMESTAMP' }, { name: 'acknowledged_by', type: 'STRING' },
    { name: 'resolved_at', type: 'TIMESTAMP' }, { name: 'resolved_by', type: 'STRING' }, { name: 'resolution', type: 'STRING' },
    { name: 'occurrences', type: 'INT32' }
  ],
  select: 'SELECT id, kind, subject_id, rule, severity, state, drill, title, observed_at, fired_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution, occurrences FROM alerts',
  timeColumn: 'created_at',
  idColumn: 'subject_id',
  order: 'created_at, id',
  row: r => [r.id, r.kind, r.subject_id, r.rule, r.severity, r.state, r.drill === 1, r.title, r.observed_at, r.fired_at ?? null, r.acknowledged_at ?? null, r.acknowledged_by ?? null, r.resolved_at ?? null, r.resolved_by ?? null, r.resolution ?? null, r.occurrences] as Cell[]
}

/**
 * A table of the embedded file on its own read-only connection: `iterate()`
 * steps the cursor one row at a time, so memory stays at one batch however
 * many rows match. WAL lets ingest keep writing meanwhile.
 */
function tableSource (file: string, spec: TableSpec, req: ExportRequest): ExportSource {
  const idList = req.ids.map((_, i) => `@id${i}`).join(', ')
  const where = `WHERE ${spec.timeColumn} >= @from AND ${spec.timeColumn} <= @to${req.ids.length === 0 ? '' : ` AND ${spec.idColumn} IN (${idList})`}`
  const params: Record<string, string | number> = { from: Math.floor(req.from), to: Math.floor(req.to) }
  req.ids.forEach((id, i) => { params[`id${i}`] = id })
  const open = (): Database.Database => {
    try {
      return new Database(file, { readonly: true, fileMustExist: true })
    } catch (err) {
      throw new MimamoriError('MIMAMORI_ERR_STORE', `cannot open ${file} for export: ${(err as Error).message}`, { cause: err })
    }
  }
  const table = spec.select.slice(spec.select.lastIndexOf(' FROM ') + 6)
  return {
    columns: spec.columns,
    async estimate () {
      const db = open()
      try {
        return (db.prepare(`SELECT COUNT(*) AS n FROM ${table} ${where}`).get(params) as { n: number }).n
      } finally {
        db.close()
      }
    },
    async * batches () {
      const db = open()
      try {
        let batch: Cell[][] = []
        for (const r of db.prepare(`${spec.select} ${where} ORDER BY ${spec.order}`).iterate(params) as IterableIterator<Record<string, unknown>>) {
          batch.push(spec.row(r))
          if (batch.length === BATCH_ROWS) {
            yield batch
            batch = []
          }
        }
        if (batch.length > 0) yield batch
      } finally {
        // an abandoned export (client gone) returns the generator early: this still closes the cursor
        db.close()
      }
    }
  }
}
