import { definePart } from '../store/parts.js'

/**
 * The alert lifecycle (alerts/): one table for every kind, at most one open alert per key, and the
 * audit trail of every transition.
 */
export const ALERTS_PART = definePart('alerts', [
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
   CREATE INDEX alert_transitions_by_alert ON alert_transitions (alert_id, at);`
])
