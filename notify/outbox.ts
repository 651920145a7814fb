import type Database from 'better-sqlite3'
import type { AlertChange, AlertOutbox } from '../core/alert-outbox.js'
import { openParts } from '../store/db.js'
import { NOTIFY_PART } from './schema.js'

/**
 * notify's side of core's AlertOutbox: one notify_events row per alert change,
 * written on the caller's connection inside the caller's transaction (alerts
 * call it from the transition's transaction). The notifier fans the rows out later.
 */
export function createAlertOutbox (db: Database.Database): AlertOutbox {
  const insert = db.prepare("INSERT INTO notify_events (source, ref_id, kind, doc, created_at) VALUES ('alert', ?, ?, ?, ?)")
  return {
    connection: db,
    enqueue ({ alert, kind, from, by, group }: AlertChange) {
      insert.run(alert.id, kind, JSON.stringify(group === undefined ? { alert, from, by } : { alert, from, by, group }), alert.updatedAt)
    }
  }
}

/**
 * The outbox on this thread's shared handle of `file` (store/db.ts): the
 * composition root builds it before the alerts service and hands it over;
 * `close` gives the handle back after the alerts are closed.
 */
export function openAlertOutbox (file: string): AlertOutbox & { close(): void } {
  const handle = openParts(file, [NOTIFY_PART], { what: 'notifications' })
  return { ...createAlertOutbox(handle.db), close: () => { handle.release() } }
}
