import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { Logger } from '../../core/logger.js'
import { MimamoriError } from '../../core/errors.js'
import type { Camera, CameraImage, QcFlag, Reading, Station } from '../../core/types.js'
import type { ReadingQuery, Store } from './store.js'

const MIGRATIONS: string[] = [
  `CREATE TABLE stations (
     id TEXT PRIMARY KEY,
     device_id TEXT NOT NULL UNIQUE,
     doc TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE cameras (
     id TEXT PRIMARY KEY,
     doc TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE readings (
     station_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     device_id TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     level REAL NOT NULL,
     battery_v REAL,
     temperature_c REAL,
     spread_mm REAL,
     valid_pings INTEGER NOT NULL,
     total_pings INTEGER NOT NULL,
     device_flags INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (station_id, time)
   ) WITHOUT ROWID;
   CREATE TABLE camera_images (
     camera_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     frame_index INTEGER NOT NULL,
     burst_id TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     width INTEGER NOT NULL,
     height INTEGER NOT NULL,
     battery_v REAL,
     PRIMARY KEY (camera_id, time, frame_index)
   ) WITHOUT ROWID;`,
  // Durable outbox for the InfluxDB backend (ingest/outbox): a reading is committed here before the
  // MQTT ack and drained later. Delivered rows stay a while as the (station, time) duplicate ledger.
  `CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     station_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     doc TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL,
     state INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0,
     delivered_at INTEGER,
     error TEXT,
     UNIQUE (station_id, time)
   );
   CREATE INDEX outbox_by_state ON outbox (state, id);`,
  // broker (broker/registry.ts): MQTT accounts, devices and service accounts; secrets only as scrypt hashes
  `CREATE TABLE mqtt_accounts (
     id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     kind TEXT,
     station_id TEXT,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     rotated_at INTEGER,
     revoked_at INTEGER,
     last_seen INTEGER
   );`,
  // river QC (ingest/qc): aggregate QARTOD flag and the non-passing tests as JSON, per reading
  `ALTER TABLE readings ADD COLUMN qc_flag INTEGER;
   ALTER TABLE readings ADD COLUMN qc_tests TEXT;`,
  // alert lifecycle (ingest/alerts): one table for every kind; at most one open alert per key
  `CREATE TABLE alerts (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     kind TEXT NOT NULL,
     subject_id TEXT NOT NULL,
     rule TEXT NOT NULL,
     severity TEXT NOT NULL,
     state TEXT NOT NULL,
     drill INTEGER NOT NULL,
     title TEXT NOT NULL,
     message TEXT NOT NULL,
     details TEXT NOT NULL,
     observed_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     occurrences INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     fired_at INTEGER,
     acknowledged_at INTEGER,
     acknowledged_by TEXT,
     resolved_at INTEGER,
     resolved_by TEXT,
     resolution TEXT
   );
   CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE state <> 'resolved';
   CREATE INDEX alerts_by_state ON alerts (state, created_at);
   CREATE INDEX alerts_by_subject ON alerts (kind, subject_id, created_at);
   CREATE TABLE alert_transitions (
     alert_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     from_state TEXT,
     to_state TEXT NOT NULL,
     by TEXT,
     note TEXT
   );
   CREATE INDEX alert_transitions_by_alert ON alert_transitions (alert_id, at);`,
  // wildlife (ingest/wildlife): detections per frame, sightings per burst, hunters' areas, feedback
  `CREATE TABLE detections (
     camera_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     frame_index INTEGER NOT NULL,
     burst_id TEXT NOT NULL,
     positive INTEGER NOT NULL,
     score REAL NOT NULL,
     label TEXT NOT NULL,
     via TEXT NOT NULL,
     boxes TEXT NOT NULL,
     thumbnail TEXT,
     error_code TEXT,
     analysed_at INTEGER NOT NULL,
     PRIMARY KEY (camera_id, time, frame_index)
   ) WITHOUT ROWID;
   CREATE INDEX detections_by_time ON detections (time);
   CREATE TABLE sightings (
     id TEXT PRIMARY KEY,
     camera_id TEXT NOT NULL,
     burst_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     doc TEXT NOT NULL,
     alert_id TEXT,
     suppressed INTEGER NOT NULL,
     UNIQUE (camera_id, burst_id)
   );
   CREATE INDEX sightings_by_camera ON sightings (camera_id, time);
   CREATE INDEX sightings_by_alert ON sightings (alert_id);
   CREATE TABLE hunters (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     contact TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE hunter_areas (
     id TEXT PRIMARY KEY,
     hunter_id TEXT NOT NULL REFERENCES hunters (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     shape TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX hunter_areas_by_hunter ON hunter_areas (hunter_id);
   CREATE TABLE sighting_feedback (
     sighting_id TEXT NOT NULL,
     hunter_id TEXT NOT NULL,
     verdict TEXT NOT NULL,
     note TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (sighting_id, hunter_id)
   );`
]

interface ReadingRow {
  station_id: string
  time: number
  device_id: string
  received_at: number
  level: number
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
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  let db: Database.Database
  try {
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    // NORMAL in WAL keeps every committed transaction across a process crash;
    // only an OS crash / power cut can lose the last moments, which the device backlog covers.
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    migrate(db)
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_STORE', `cannot open database ${file}: ${(err as Error).message}`, { cause: err })
  }
  log.info({ file }, 'embedded store open')

  const stmts = {
    upsertStation: db.prepare('INSERT INTO stations (id, device_id, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET device_id = excluded.device_id, doc = excluded.doc, updated_at = excluded.updated_at'),
    deleteStationByDevice: db.prepare('DELETE FROM stations WHERE device_id = ? AND id <> ?'),
    listStations: db.prepare<[], { doc: string }>('SELECT doc FROM stations ORDER BY id'),
    upsertCamera: db.prepare('INSERT INTO cameras (id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at'),
    listCameras: db.prepare<[], { doc: string }>('SELECT doc FROM cameras ORDER BY id'),
    insertReading: db.prepare(`INSERT INTO readings (station_id, time, device_id, received_at, level, battery_v, temperature_c, spread_mm, valid_pings, total_pings, device_flags, seq, qc_flag, qc_tests)
      VALUES (@stationId, @time, @deviceId, @receivedAt, @level, @batteryV, @temperatureC, @spreadMm, @validPings, @totalPings, @deviceFlags, @seq, @qcFlag, @qcTests)
      ON CONFLICT (station_id, time) DO NOTHING`),
    updateQc: db.prepare('UPDATE readings SET qc_flag = ?, qc_tests = ? WHERE station_id = ? AND time = ?'),
    readings: db.prepare<[string, number, number, number], ReadingRow>('SELECT * FROM readings WHERE station_id = ? AND time >= ? AND time <= ? ORDER BY time DESC LIMIT ?'),
    // Correlated MAX(time) uses the primary key per station: one index seek per station.
    latest: db.prepare<[], ReadingRow>('SELECT r.* FROM stations s JOIN readings r ON r.station_id = s.id AND r.time = (SELECT MAX(time) FROM readings WHERE station_id = s.id)'),
    insertImage: db.prepare(`INSERT INTO camera_images (camera_id, time, frame_index, burst_id, received_at, bytes, width, height, battery_v)
      VALUES (@cameraId, @time, @frameIndex, @burstId, @receivedAt, @bytes, @width, @height, @batteryV)
      ON CONFLICT DO NOTHING`),
    latestImages: db.prepare<[], ImageRow>('SELECT i.* FROM cameras c JOIN camera_images i ON i.camera_id = c.id AND i.time = (SELECT MAX(time) FROM camera_images WHERE camera_id = c.id) ORDER BY i.frame_index DESC')
  }

  let stations = new Map<string, Station>()
  let byDevice = new Map<string, Station>()
  let cameras = new Map<string, Camera>()
  const refreshCaches = (): void => {
    stations = new Map(stmts.listStations.all().map(r => JSON.parse(r.doc) as Station).map(s => [s.id, s]))
    byDevice = new Map([...stations.values()].map(s => [s.deviceId, s]))
    cameras = new Map(stmts.listCameras.all().map(r => JSON.parse(r.doc) as Camera).map(c => [c.id, c]))
  }
  refreshCaches()

  let closed = false
  const guard = (): void => {
    if (closed) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'store is closed')
  }
  const wrap = <T>(what: string, fn: () => T): T => {
    guard()
    try {
      return fn()
    } catch (err) {
      throw new MimamoriError('MIMAMORI_ERR_STORE', `${what}: ${(err as Error).message}`, { cause: err })
    }
  }

  return {
    backend: 'embedded',
    saveStations (list) {
      wrap('save stations', () => db.transaction(() => {
        const now = Date.now()
        for (const s of list) {
          stmts.deleteStationByDevice.run(s.deviceId, s.id)
          stmts.upsertStation.run(s.id, s.deviceId, JSON.stringify(s), now)
        }
      })())
      refreshCaches()
    },
    listStations: () => [...stations.values()],
    getStation: id => stations.get(id),
    stationByDevice: deviceId => byDevice.get(deviceId),
    saveCameras (list) {
      wrap('save cameras', () => db.transaction(() => {
        const now = Date.now()
        for (const c of list) stmts.upsertCamera.run(c.id, JSON.stringify(c), now)
      })())
      refreshCaches()
    },
    listCameras: () => [...cameras.values()],
    getCamera: id => cameras.get(id),

    async writeReading (r) {
      const info = wrap('write reading', () => stmts.insertReading.run({ ...r, qcFlag: r.qc?.flag ?? null, qcTests: r.qc === undefined ? null : JSON.stringify(r.qc.tests) }))
      return info.changes === 1 ? 'inserted' : 'duplicate'
    },
    async updateReadingQc (stationId, time, qc) {
      wrap('update reading qc', () => stmts.updateQc.run(qc.flag, JSON.stringify(qc.tests), stationId, time))
    },
    async readings (stationId, q: ReadingQuery) {
      return wrap('query readings', () => stmts.readings.all(stationId, q.from, q.to, q.limit).map(toReading))
    },
    async latestReadings () {
      return wrap('latest readings', () => new Map(stmts.latest.all().map(row => [row.station_id, toReading(row)])))
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
      db.close()
      log.info('embedded store closed')
    }
  }
}

export function migrate (db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

function toReading (row: ReadingRow): Reading {
  return {
    stationId: row.station_id,
    deviceId: row.device_id,
    time: row.time,
    receivedAt: row.received_at,
    level: row.level,
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
