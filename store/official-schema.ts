import { definePart } from './parts.js'

/**
 * Official disaster information (official/, store/official.ts): every JMA telegram as received (the
 * bytes of refused documents are not kept, only why), the state per area, the feeds' conditional-GET
 * validators, the 判断補助 criteria per area (changes audited in audit_log); v2: the suggested
 * 警戒レベル per area with its reasons, as last evaluated (official/suggestions.ts).
 */
export const OFFICIAL_PART = definePart('official', [
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
   );`,
  `CREATE TABLE official_suggestions (
     area_code TEXT PRIMARY KEY,
     doc TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`
])
