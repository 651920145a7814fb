import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { MimamoriError } from '../core/errors.js'

export interface OpenSqliteOptions {
  /** what the file holds, for the error message ("outbox", "device registry") */
  what: string
  /**
   * NORMAL in WAL keeps every committed transaction across a process crash (only
   * an OS crash can lose the last moments); FULL also survives a power cut, for
   * rows whose commit releases an MQTT PUBACK.
   */
  synchronous?: 'NORMAL' | 'FULL'
  foreignKeys?: boolean
}

/**
 * One connection to the embedded SQLite file, configured the same way for every
 * owner (store, outbox, alerts, wildlife, device registry): WAL so readers in
 * other processes never block the writer, a busy timeout so two writers wait
 * for each other instead of failing, and the schema migrated (a no-op when
 * another connection already did it; a ':memory:' database gets its tables).
 */
export function openSqlite (file: string, { what, synchronous = 'NORMAL', foreignKeys = false }: OpenSqliteOptions): Database.Database {
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${synchronous}`)
    db.pragma('busy_timeout = 5000')
    if (foreignKeys) db.pragma('foreign_keys = ON')
    migrate(db)
    return db
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_STORE', `cannot open ${what} in ${file}: ${(err as Error).message}`, { cause: err })
  }
}

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
  // Durable outbox for the InfluxDB backend (store/outbox): a reading is committed here before the
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
  // alert lifecycle (alerts): one table for every kind; at most one open alert per key
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
   );`,
  // river QC flag 9 (missing): a frame without a level is stored as a gap, so readings.level may be NULL.
  // SQLite cannot drop NOT NULL in place: rebuild the table with the same key and columns.
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
   ALTER TABLE readings_v2 RENAME TO readings;`,
  // notifications (notify/): events are committed in the same transaction as the alert transition or advisory
  // that causes them; fan-out turns each into one delivery per recipient × channel (idem_key unique), drained
  // with retries. Subscriptions, evacuation advisories, escalation progress and the CAP feed live beside them.
  `CREATE TABLE notify_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     source TEXT NOT NULL,
     ref_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     doc TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     fanned_out_at INTEGER
   );
   CREATE INDEX notify_events_pending ON notify_events (fanned_out_at, id);
   CREATE TABLE notify_deliveries (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id INTEGER NOT NULL,
     channel TEXT NOT NULL,
     recipient TEXT NOT NULL,
     address TEXT NOT NULL,
     idem_key TEXT NOT NULL UNIQUE,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     last_error TEXT,
     sent_at INTEGER,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX notify_deliveries_due ON notify_deliveries (state, next_at);
   CREATE INDEX notify_deliveries_by_event ON notify_deliveries (event_id);
   CREATE TABLE notify_subscriptions (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     role TEXT NOT NULL,
     channel TEXT NOT NULL,
     address TEXT NOT NULL,
     doc TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (user_id, channel, address)
   );
   CREATE INDEX notify_subscriptions_by_user ON notify_subscriptions (user_id);
   CREATE TABLE notify_advisories (
     id TEXT PRIMARY KEY,
     alert_id TEXT,
     level INTEGER NOT NULL,
     area TEXT NOT NULL,
     status TEXT NOT NULL,
     version INTEGER NOT NULL,
     doc TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE notify_escalations (
     alert_id TEXT PRIMARY KEY,
     step INTEGER NOT NULL,
     last_at INTEGER NOT NULL
   );
   CREATE TABLE notify_cap (
     identifier TEXT PRIMARY KEY,
     advisory_id TEXT NOT NULL,
     sent INTEGER NOT NULL,
     xml TEXT NOT NULL,
     drill INTEGER NOT NULL
   );
   CREATE INDEX notify_cap_by_sent ON notify_cap (sent);`,
  // dashboard accounts (dashboard/server/auth): users with a role, server-side sessions (idle and absolute
  // expiry), API tokens stored as SHA-256 of a 192-bit secret, and the audit log of every action that changes state.
  `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE COLLATE NOCASE,
     role TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     hunter_id TEXT,
     disabled INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     user_id TEXT,
     doc TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     seen_at INTEGER NOT NULL
   );
   CREATE INDEX sessions_by_user ON sessions (user_id);
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     name TEXT NOT NULL,
     secret_sha256 TEXT NOT NULL,
     scope TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_used_at INTEGER,
     revoked INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT,
     role TEXT,
     via TEXT,
     ip TEXT,
     action TEXT NOT NULL,
     subject TEXT,
     detail TEXT NOT NULL
   );
   CREATE INDEX audit_log_by_time ON audit_log (at);`,
  // LoRaWAN uplinks already taken (store/uplink-dedupe.ts): the same frame heard through several
  // gateways, network servers or a webhook is stored once; pruned after lorawan.dedupeDays
  `CREATE TABLE lorawan_uplinks (
     dev_eui TEXT NOT NULL,
     f_cnt INTEGER NOT NULL,
     digest TEXT NOT NULL,
     at INTEGER NOT NULL,
     via TEXT NOT NULL,
     PRIMARY KEY (dev_eui, f_cnt, digest)
   ) WITHOUT ROWID;
   CREATE INDEX lorawan_uplinks_by_time ON lorawan_uplinks (at);`,
  // official disaster information (official/, store/official.ts): every JMA telegram as received (the
  // bytes of refused documents are not kept, only why), the state per area, the feeds' conditional-GET
  // validators, and the 判断補助 criteria per area (changes audited in audit_log).
  `CREATE TABLE official_telegrams (
     id TEXT PRIMARY KEY,
     received_at INTEGER NOT NULL,
     source TEXT NOT NULL,
     product TEXT,
     info_kind TEXT,
     info_type TEXT,
     status TEXT,
     office TEXT,
     event_id TEXT,
     serial TEXT,
     report_time INTEGER,
     head_title TEXT,
     bytes INTEGER NOT NULL,
     xml TEXT,
     outcome TEXT NOT NULL,
     error_code TEXT
   );
   CREATE INDEX official_telegrams_by_report ON official_telegrams (report_time);
   CREATE INDEX official_telegrams_by_source ON official_telegrams (source);
   CREATE TABLE official_state (
     product TEXT NOT NULL,
     area_code TEXT NOT NULL,
     doc TEXT NOT NULL,
     report_time INTEGER NOT NULL,
     PRIMARY KEY (product, area_code)
   ) WITHOUT ROWID;
   CREATE TABLE official_feeds (
     url TEXT PRIMARY KEY,
     etag TEXT,
     last_modified TEXT,
     checked_at INTEGER NOT NULL,
     http_status INTEGER NOT NULL
   );
   CREATE TABLE official_criteria (
     area_code TEXT PRIMARY KEY,
     doc TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     updated_by TEXT
   );`
]

/**
 * Applies the missing migrations one per IMMEDIATE transaction, reading the
 * version inside it, so processes opening the same file at once (broker, ingest,
 * CLI) never run a migration twice.
 */
export function migrate (db: Database.Database): void {
  const step = db.transaction((): boolean => {
    const version = db.pragma('user_version', { simple: true }) as number
    const sql = MIGRATIONS[version]
    if (sql === undefined) return false
    db.exec(sql)
    db.pragma(`user_version = ${version + 1}`)
    return true
  })
  while (step.immediate()) { /* next migration */ }
}
