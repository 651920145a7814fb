import { definePart } from '../store/parts.js'

/**
 * The notifier (notify/): events are committed in the same transaction as the alert transition or
 * advisory that causes them (alerts hand them over through core's AlertOutbox); fan-out turns each into
 * one delivery per recipient × channel (idem_key unique), drained with retries. Subscriptions,
 * evacuation advisories, escalation progress and the CAP feed live beside them.
 */
export const NOTIFY_PART = definePart('notify', [
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
   CREATE INDEX notify_cap_by_sent ON notify_cap (sent);`
])
