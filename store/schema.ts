import { definePart } from './parts.js'

/**
 * The store's tables (store/embedded.ts): stations and cameras (their documents), readings keyed by
 * (station, time) and camera image metadata. v2: river QC flag and tests per reading; v3: a frame
 * without a level is stored as a gap (level NULL): SQLite cannot drop NOT NULL in place, so the
 * table is rebuilt with the same key and columns.
 */
export const STORE_PART = definePart('store', [
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
  `ALTER TABLE readings ADD COLUMN qc_flag INTEGER;
   ALTER TABLE readings ADD COLUMN qc_tests TEXT;`,
  `CREATE TABLE readings_v2 (
     station_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     device_id TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     level REAL,
     battery_v REAL,
     temperature_c REAL,
     spread_mm REAL,
     valid_pings INTEGER NOT NULL,
     total_pings INTEGER NOT NULL,
     device_flags INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     qc_flag INTEGER,
     qc_tests TEXT,
     PRIMARY KEY (station_id, time)
   ) WITHOUT ROWID;
   INSERT INTO readings_v2 (station_id, time, device_id, received_at, level, battery_v, temperature_c, spread_mm, valid_pings, total_pings, device_flags, seq, qc_flag, qc_tests)
     SELECT station_id, time, device_id, received_at, level, battery_v, temperature_c, spread_mm, valid_pings, total_pings, device_flags, seq, qc_flag, qc_tests FROM readings;
   DROP TABLE readings;
   ALTER TABLE readings_v2 RENAME TO readings;`
])
