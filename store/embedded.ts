import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { CameraImage, QcFlag, Reading } from '../core/types.js'
import { openParts } from './db.js'
import { STORE_PART } from './schema.js'
import { createGroupCommit } from './group-commit.js'
import type { ReadingQuery, SeriesBucket, Store } from './store.js'
import { FLEET_PART } from './fleet.js'
import { createDocumentCache } from './document-cache.js'
import { storeSteps } from './store-error.js'

interface ReadingRow {
  station_id: string
  time: number
  device_id: string
  received_at: number
  /** NULL: the gauge measured nothing (QC flag 9) */
  level: number | null
  battery_v: number | null
  temperature_c: number | null
  spread_mm: number | null
  valid_pings: number
  total_pings: number
  device_flags: number
  seq: number
  qc_flag: number | null
  qc_tests: string | null
}

interface ImageRow {
  camera_id: string
  time: number
  frame_index: number
  burst_id: string
  received_at: number
  bytes: number
  width: number
  height: number
  battery_v: number | null
}

// One pass over the primary-key range; times are bucket starts, as InfluxQL's GROUP BY time() gives them.
// better-sqlite3 binds JS numbers as REAL: the CAST keeps the division integral.
// Failed (4) and missing (NULL) levels are counted but left out of mean/min/max (store/series.ts does the same).
const SERIES_SQL = `SELECT
        (MIN(readings.time) / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS time,
        AVG(CASE WHEN COALESCE(qc_flag, 1) <> 4 THEN level END) AS mean,
        MIN(CASE WHEN COALESCE(qc_flag, 1) <> 4 THEN level END) AS min,
        MAX(CASE WHEN COALESCE(qc_flag, 1) <> 4 THEN level END) AS max,
        COUNT(CASE WHEN COALESCE(qc_flag, 1) <> 4 THEN level END) AS count,
        SUM(level IS NOT NULL AND COALESCE(qc_flag, 1) IN (3, 4)) AS flagged,
        SUM(level IS NULL) AS missing
      FROM readings WHERE station_id = @id AND time >= @from AND time <= @to
      GROUP BY readings.time / CAST(@b AS INTEGER) ORDER BY 1`

export interface EmbeddedStoreOptions {
  /** database file; ':memory:' for throwaway use */
  file: string
  logger: Logger
}

/**
 * SQLite in WAL mode: one file, readers never block the writer, and a second
 * process (dashboard) can read while ingest writes. Readings are keyed by
 * (station, time), which is both the index the API needs and the idempotency key.
 */
export function createEmbeddedStore ({ file, logger }: EmbeddedStoreOptions): Store {
  const log = logger.child({ component: 'store', backend: 'embedded' })
  const handle = openParts(file, [STORE_PART, FLEET_PART], { what: 'database' })
  const db = handle.db
  log.info({ file }, 'embedded store open')

  const stmts = {
    upsertStation: db.prepare('INSERT INTO stations (id, device_id, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET device_id = excluded.device_id, doc = excluded.doc, updated_at = excluded.updated_at'),
    deleteStationByDevice: db.prepare('DELETE FROM stations WHERE device_id = ? AND id <> ?'),
    upsertCamera: db.prepare('INSERT INTO cameras (id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at'),
    // positional parameters: binding 14 values by position costs less than by name from an object built per row
    insertReading: db.prepare<[string, number, string, number, number | null, number | null, number | null, number | null, number, number, number, number, number | null, string | null]>(`INSERT INTO readings (station_id, time, device_id, received_at, level, battery_v, temperature_c, spread_mm, valid_pings, total_pings, device_flags, seq, qc_flag, qc_tests)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (station_id, time) DO NOTHING`),
    updateQc: db.prepare('UPDATE readings SET qc_flag = ?, qc_tests = ? WHERE station_id = ? AND time = ?'),
    readings: db.prepare<[string, number, number, number], ReadingRow>('SELECT * FROM readings WHERE station_id = ? AND time >= ? AND time <= ? ORDER BY time DESC LIMIT ?'),
    readingsAsc: db.prepare<[string, number, number, number], ReadingRow>('SELECT * FROM readings WHERE station_id = ? AND time >= ? AND time <= ? ORDER BY time ASC LIMIT ?'),
    series: db.prepare<{ id: string, from: number, to: number, b: number }, SeriesBucket>(SERIES_SQL),
    // Correlated MAX(time) uses the primary key per station: one index seek per station.
    latest: db.prepare<[], ReadingRow>('SELECT r.* FROM stations s JOIN readings r ON r.station_id = s.id AND r.time = (SELECT MAX(time) FROM readings WHERE station_id = s.id)'),
    // the newest row is a gap (flag 9): walk back along the primary key to the newest level
    latestLevel: db.prepare<[string], ReadingRow>('SELECT * FROM readings WHERE station_id = ? AND level IS NOT NULL ORDER BY time DESC LIMIT 1'),
    insertImage: db.prepare(`INSERT INTO camera_images (camera_id, time, frame_index, burst_id, received_at, bytes, width, height, battery_v)
      VALUES (@cameraId, @time, @frameIndex, @burstId, @receivedAt, @bytes, @width, @height, @batteryV)
      ON CONFLICT DO NOTHING`),
    latestImages: db.prepare<[], ImageRow>('SELECT i.* FROM cameras c JOIN camera_images i ON i.camera_id = c.id AND i.time = (SELECT MAX(time) FROM camera_images WHERE camera_id = c.id) ORDER BY i.frame_index DESC')
  }

  // concurrent messages (one per device connection) share a commit; each write still learns inserted/duplicate
  const readingWrites = createGroupCommit(db, 'write reading', (r: Reading): 'inserted' | 'duplicate' =>
    stmts.insertReading.run(r.stationId, r.time, r.deviceId, r.receivedAt, Number.isFinite(r.level) ? r.level : null, r.batteryV, r.temperatureC, r.spreadMm,
      r.validPings, r.totalPings, r.deviceFlags, r.seq, r.qc?.flag ?? null, r.qc === undefined ? null : qcTestsJson(r.qc.tests)).changes === 1 ? 'inserted' : 'duplicate')

  // the station and camera documents with the registry's facts on them (state, thresholds in force now)
  const docs = createDocumentCache(db, log)
  const fleet = docs.fleet

  let closed = false
  const guard = (): void => { if (closed) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'store is closed') }
  const step = storeSteps('')
  const wrap = <T>(what: string, fn: () => T): T => {
    guard()
    return step(what, fn)
  }

  return {
    backend: 'embedded',
    fleet,
    saveStations (list) {
      wrap('save stations', () => db.transaction(() => {
        const now = Date.now()
        for (const s of list) {
          stmts.deleteStationByDevice.run(s.deviceId, s.id)
          stmts.upsertStation.run(s.id, s.deviceId, JSON.stringify(s), now)
        }
      })())
      docs.refresh()
    },
    listStations: () => [...docs.stations().values()],
    getStation: id => docs.stations().get(id),
    stationByDevice: deviceId => docs.byDevice().get(deviceId),
    saveCameras (list) {
      wrap('save cameras', () => db.transaction(() => {
        const now = Date.now()
        for (const c of list) stmts.upsertCamera.run(c.id, JSON.stringify(c), now)
      })())
      docs.refresh()
    },
    listCameras: () => [...docs.cameras().values()],
    getCamera: id => docs.cameras().get(id),

    writeReading (r) {
      // no async wrapper: one promise per reading (the commit's), not three
      if (closed) return Promise.reject(new MimamoriError('MIMAMORI_ERR_CLOSED', 'store is closed'))
      return readingWrites.submit(r)
    },
    async updateReadingQc (stationId, time, qc) {
      wrap('update reading qc', () => stmts.updateQc.run(qc.flag, JSON.stringify(qc.tests), stationId, time))
    },
    async readings (stationId, q: ReadingQuery) {
      return wrap('query readings', () => (q.order === 'asc' ? stmts.readingsAsc : stmts.readings).all(stationId, q.from, q.to, q.limit).map(toReading))
    },
    async readingSeries (stationId, q) {
      // integer bucket maths in SQLite: the bounds must be integers too
      return wrap('query series', () => stmts.series.all({ id: stationId, from: Math.floor(q.from), to: Math.floor(q.to), b: Math.max(1, Math.round(q.bucketMs)) }))
    },
    async latestReadings () {
      return wrap('latest readings', () => {
        const out = new Map<string, Reading>()
        for (const row of stmts.latest.all()) {
          const withLevel = row.level !== null ? row : stmts.latestLevel.get(row.station_id)
          if (withLevel !== undefined) out.set(row.station_id, toReading(withLevel))
        }
        return out
      })
    },
    async writeCameraImage (img) {
      const info = wrap('write camera image', () => stmts.insertImage.run(img))
      return info.changes === 1 ? 'inserted' : 'duplicate'
    },
    async latestCameraImages () {
      return wrap('latest camera images', () => {
        const out = new Map<string, CameraImage>()
        for (const row of stmts.latestImages.all()) if (!out.has(row.camera_id)) out.set(row.camera_id, toImage(row))
        return out
      })
    },
    async close () {
      if (closed) return
      closed = true
      docs.close()
      handle.release()
      log.info('embedded store closed')
    }
  }
}


/** JSON.stringify of a reading's QC tests; every passing reading has none, so '{}' needs no stringify */
function qcTestsJson (tests: Record<string, QcFlag>): string {
  for (const _ in tests) return JSON.stringify(tests)
  return '{}'
}

function toReading (row: ReadingRow): Reading {
  return {
    stationId: row.station_id,
    deviceId: row.device_id,
    time: row.time,
    receivedAt: row.received_at,
    level: row.level ?? Number.NaN,
    batteryV: row.battery_v,
    temperatureC: row.temperature_c,
    spreadMm: row.spread_mm,
    validPings: row.valid_pings,
    totalPings: row.total_pings,
    deviceFlags: row.device_flags,
    seq: row.seq,
    qc: row.qc_flag === null ? undefined : { flag: row.qc_flag as QcFlag, tests: JSON.parse(row.qc_tests ?? '{}') as Record<string, QcFlag> }
  }
}

function toImage (row: ImageRow): CameraImage {
  return {
    cameraId: row.camera_id,
    time: row.time,
    receivedAt: row.received_at,
    bytes: row.bytes,
    width: row.width,
    height: row.height,
    burstId: row.burst_id,
    frameIndex: row.frame_index,
    batteryV: row.battery_v
  }
}
