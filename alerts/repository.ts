import { MimamoriError } from '../core/errors.js'
import type { Alert, AlertSeverity, AlertState } from '../core/types.js'
import type { AlertOutbox } from '../core/alert-outbox.js'
import { openParts } from '../store/db.js'
import { ALERTS_PART } from './schema.js'
import { storeSteps } from '../store/store-error.js'

/** One row of the audit trail: every state change with who and when. */
export interface AlertTransition {
  alertId: string
  at: number
  from: AlertState | null
  to: AlertState
  by: string | null
  note: string | null
}

export interface AlertFilter {
  state?: AlertState | AlertState[] | undefined
  kind?: string | undefined
  subjectId?: string | undefined
  drill?: boolean | undefined
  /** newest first; default 200 */
  limit?: number | undefined
}

interface AlertRow {
  id: string
  key: string
  kind: string
  subject_id: string
  rule: string
  severity: string
  state: string
  drill: number
  title: string
  message: string
  details: string
  observed_at: number
  last_seen_at: number
  occurrences: number
  created_at: number
  updated_at: number
  fired_at: number | null
  acknowledged_at: number | null
  acknowledged_by: string | null
  resolved_at: number | null
  resolved_by: string | null
  resolution: string | null
}

/**
 * Alert rows in the embedded SQLite file (the alerts part: alerts/schema.ts).
 * Every change is handed to the outbox (core's AlertOutbox, notify's table)
 * inside the same transaction. It keeps no cache: every call reads the table, so a
 * dashboard process acknowledging an alert and an ingest process raising it
 * see the same truth. The partial unique index on `key` (open alerts only) is
 * what makes deduplication hold even across processes.
 */
export interface AlertRepository {
  insert(alert: Alert, by: string | null, note: string | null): void
  /** `group`: the id of one human action on several alerts (carried to the notifier, which sends once for it) */
  update(alert: Alert, from: AlertState, by: string | null, note: string | null, group?: string): void
  /** severity / details / last seen changed without a state change; `escalatedFrom` when the severity rose (notified) */
  refresh(alert: Alert, escalatedFrom?: AlertSeverity): void
  get(id: string): Alert | undefined
  openByKey(key: string): Alert | undefined
  list(filter: AlertFilter): Alert[]
  history(id: string): AlertTransition[]
  /** an audit row without a state change (who was told, an escalation step) */
  note(alertId: string, state: AlertState, at: number, by: string, note: string): void
  /** runs fn in one SQLite transaction (immediate, so two writers serialise) */
  transaction<T>(fn: () => T): T
  close(): void
}

/**
 * `outbox`: where changes are announced (null: a reader, or a test without a notifier). It must
 * write through this thread's shared handle of the same file, or the two writes would not share
 * the transaction (MIMAMORI_ERR_CONFIG).
 */
export function openAlertRepository (file: string, outbox: AlertOutbox | null): AlertRepository {
  const handle = openParts(file, [ALERTS_PART], { what: 'alerts' })
  const db = handle.db
  if (outbox !== null && outbox.connection !== db) {
    handle.release()
    throw new MimamoriError('MIMAMORI_ERR_CONFIG', `the alert outbox writes through another connection than the alerts in ${file}: open both on the same file in the same thread`)
  }
  const stmts = {
    insert: db.prepare(`INSERT INTO alerts (id, key, kind, subject_id, rule, severity, state, drill, title, message, details, observed_at, last_seen_at,
        occurrences, created_at, updated_at, fired_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution)
      VALUES (@id, @key, @kind, @subjectId, @rule, @severity, @state, @drill, @title, @message, @details, @observedAt, @lastSeenAt,
        @occurrences, @createdAt, @updatedAt, @firedAt, @acknowledgedAt, @acknowledgedBy, @resolvedAt, @resolvedBy, @resolution)`),
    update: db.prepare(`UPDATE alerts SET severity = @severity, state = @state, title = @title, message = @message, details = @details,
        last_seen_at = @lastSeenAt, occurrences = @occurrences, updated_at = @updatedAt, fired_at = @firedAt, acknowledged_at = @acknowledgedAt,
        acknowledged_by = @acknowledgedBy, resolved_at = @resolvedAt, resolved_by = @resolvedBy, resolution = @resolution
      WHERE id = @id`),
    transition: db.prepare('INSERT INTO alert_transitions (alert_id, at, from_state, to_state, by, note) VALUES (?, ?, ?, ?, ?, ?)'),
    get: db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
    openByKey: db.prepare<[string], AlertRow>("SELECT * FROM alerts WHERE key = ? AND state <> 'resolved'"),
    history: db.prepare<[string], { alert_id: string, at: number, from_state: string | null, to_state: string, by: string | null, note: string | null }>(
      'SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY rowid')
  }
  const wrap = storeSteps('alerts')
  const toParams = (a: Alert): Record<string, unknown> => ({ ...a, drill: a.drill ? 1 : 0, details: JSON.stringify(a.details) })
  // the notifier's outbox: called in the caller's transaction, so a change is notified iff it committed
  const notify = (alert: Alert, kind: string, from: string | null, by: string | null, group?: string): void => {
    outbox?.enqueue({ alert, kind, from, by, group })
  }
  let closed = false

  return {
    insert (alert, by, note) {
      wrap('insert', () => {
        stmts.insert.run(toParams(alert))
        stmts.transition.run(alert.id, alert.updatedAt, null, alert.state, by, note)
        notify(alert, alert.state, null, by)
      })
    },
    update (alert, from, by, note, group) {
      wrap('update', () => {
        stmts.update.run(toParams(alert))
        stmts.transition.run(alert.id, alert.updatedAt, from, alert.state, by, note)
        notify(alert, alert.state, from, by, group)
      })
    },
    refresh (alert, escalatedFrom) {
      wrap('refresh', () => {
        stmts.update.run(toParams(alert))
        if (escalatedFrom !== undefined) notify(alert, 'severity', escalatedFrom, null)
      })
    },
    get: id => wrap('get', () => fromRow(stmts.get.get(id))),
    openByKey: key => wrap('find', () => fromRow(stmts.openByKey.get(key))),
    list (f) {
      return wrap('list', () => {
        const where: string[] = []
        const args: unknown[] = []
        const states = f.state === undefined ? [] : Array.isArray(f.state) ? f.state : [f.state]
        if (states.length > 0) {
          where.push(`state IN (${states.map(() => '?').join(', ')})`)
          args.push(...states)
        }
        if (f.kind !== undefined) { where.push('kind = ?'); args.push(f.kind) }
        if (f.subjectId !== undefined) { where.push('subject_id = ?'); args.push(f.subjectId) }
        if (f.drill !== undefined) { where.push('drill = ?'); args.push(f.drill ? 1 : 0) }
        const sql = `SELECT * FROM alerts ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`
        args.push(f.limit ?? 200)
        return (db.prepare(sql).all(...args) as AlertRow[]).map(r => fromRow(r)!)
      })
    },
    history: id => wrap('history', () => stmts.history.all(id).map(r => ({
      alertId: r.alert_id, at: r.at, from: r.from_state as AlertState | null, to: r.to_state as AlertState, by: r.by, note: r.note
    }))),
    note (alertId, state, at, by, note) {
      wrap('note', () => stmts.transition.run(alertId, at, state, state, by, note))
    },
    transaction: fn => wrap('transaction', () => db.transaction(fn).immediate()),
    close () {
      if (closed) return
      closed = true
      handle.release()
    }
  }
}

function fromRow (r: AlertRow | undefined): Alert | undefined {
  if (r === undefined) return undefined
  return {
    id: r.id,
    key: r.key,
    kind: r.kind,
    subjectId: r.subject_id,
    rule: r.rule,
    severity: r.severity as AlertSeverity,
    state: r.state as AlertState,
    drill: r.drill === 1,
    title: r.title,
    message: r.message,
    details: JSON.parse(r.details) as Record<string, unknown>,
    observedAt: r.observed_at,
    lastSeenAt: r.last_seen_at,
    occurrences: r.occurrences,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    firedAt: r.fired_at,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    resolution: r.resolution
  }
}
