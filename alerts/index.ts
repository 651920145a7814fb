/**
 * Alerts: ONE lifecycle for every kind of alert (river now, wildlife and others later).
 *
 *   pending ──confirm──▶ firing ──acknowledge(by)──▶ acknowledged ──resolve(by)──▶ resolved
 *      │                    │                                                        ▲
 *      └──────acknowledge───┴──────────── clear (condition gone) / resolve(by) ───────┘
 *
 * Interface for rule engines (river: ingest/rules; wildlife: sighting voting):
 *
 *   const alerts = createAlerts({ file, outbox: openAlertOutbox(file), bus, logger })   // cli/parts.ts builds the process's one
 *   alerts.raise({ kind: 'wildlife', subjectId: 'cam-01', rule: 'sighting', severity: 'moderate',
 *                  title: 'サル出没 / monkeys sighted', details: { species: 'macaque', votes: 4 },
 *                  time: observationMs, drill: false }, { confirmed: true })
 *   alerts.clear({ kind: 'wildlife', subjectId: 'cam-01', rule: 'sighting' }, { time })
 *   alerts.acknowledge(id, 'hunter:tanaka');  alerts.resolve(id, 'hunter:tanaka', { note: 'chased off' })
 *   alerts.list({ state: ['pending', 'firing'], kind: 'wildlife' })
 *
 * Guarantees:
 * - Deduplicated: at most one open (not resolved) alert per key `${kind}/${subjectId}/${rule}` (+ `/drill`).
 *   Raising again while open refreshes it (occurrences, lastSeenAt, details) and escalates the
 *   severity if the new one is worse; it never opens a second alert. A DB unique index enforces it.
 * - Idempotent: raise/clear/acknowledge/resolve repeated give the same result; acknowledging an
 *   acknowledged alert or resolving a resolved one returns it unchanged. Acknowledging a resolved
 *   alert is a conflict (MIMAMORI_ERR_ALERT_STATE, HTTP 409); an unknown id is MIMAMORI_ERR_NOT_FOUND.
 * - `raise(..., { confirmed: false })` opens it as `pending` (e.g. a suspect reading waiting for the
 *   next one, or a minimum dwell not yet served); a later confirmed raise moves it to `firing`.
 * - Persisted in the embedded SQLite file with an audit trail of every transition (who, when, note).
 * - Every creation, transition and severity escalation emits the bus event `alert` { alert, from, to }.
 * - `drill: true` (訓練) alerts are kept apart by key and flagged; channels must never send them publicly.
 * - Times: `time` is the data time of the observation driving the change (rules pass the reading's
 *   time, so a replay or a late backlog gets correct timestamps); human actions use the clock.
 */
import type { AlertOutbox } from '../core/alert-outbox.js'
import type { EventBus } from '../core/bus.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { ALERT_SEVERITIES, type Alert, type AlertState } from '../core/types.js'
import { openAlertRepository, type AlertFilter, type AlertRepository, type AlertTransition } from './repository.js'
import { raiseStep as step } from './raise.js'
import type { AlertRef, AlertSignal } from './signal.js'

export type { AlertFilter, AlertTransition }

export type { AlertRef, AlertSignal } from './signal.js'

/** options of a human transition */
export interface ActionOptions {
  time?: number
  note?: string
  /** one click on a group of alerts (a station event): the notifier sends one message per person for the group */
  group?: string
}

export interface Alerts {
  /** the condition holds: open (pending/firing) or refresh the open alert with this key */
  raise(signal: AlertSignal, options?: { confirmed?: boolean }): Alert
  /** the condition is gone: resolve the open alert with this key, if any (by defaults to 'system') */
  clear(ref: AlertRef, options?: { time?: number, resolution?: string, by?: string }): Alert | undefined
  acknowledge(id: string, by: string, options?: ActionOptions): Alert
  resolve(id: string, by: string, options?: ActionOptions): Alert
  get(id: string): Alert | undefined
  findOpen(ref: AlertRef): Alert | undefined
  list(filter?: AlertFilter): Alert[]
  history(id: string): AlertTransition[]
  /** an audit row in the alert's history without a state change (the notifier records its escalation steps so) */
  annotate(id: string, by: string, note: string, options?: { time?: number }): void
  close(): Promise<void>
}

export interface AlertsDeps {
  /** the embedded SQLite file (same as the store's); ':memory:' for unit tests */
  file: string
  /**
   * where transitions are announced, inside their transaction (notify/outbox.ts `openAlertOutbox(file)`,
   * built by the composition root); null where nothing is announced (readers, unit tests)
   */
  outbox: AlertOutbox | null
  logger: Logger
  bus?: EventBus | undefined
  /** ms since epoch; the replay passes its data clock */
  clock?: (() => number) | undefined
}

export function alertKey (ref: AlertRef): string {
  return `${ref.kind}/${ref.subjectId}/${ref.rule}${ref.drill === true ? '/drill' : ''}`
}

export { severityRank } from './severity.js'

/** When people first heard of an alert: announcedAt for one raised from history and confirmed later, else when it fired. */
export function announcedAt (alert: Pick<Alert, 'firedAt' | 'createdAt' | 'details'>): number {
  const a = alert.details.announcedAt
  return typeof a === 'number' ? a : alert.firedAt ?? alert.createdAt
}

export function createAlerts ({ file, outbox, logger, bus, clock = Date.now }: AlertsDeps): Alerts {
  const log = logger.child({ component: 'alerts' })
  const repo: AlertRepository = openAlertRepository(file, outbox)
  let closed = false

  const emit = (alert: Alert, from: AlertState | null): void => {
    bus?.emit('alert', { alert, from, to: alert.state })
    if (from !== alert.state) log.info({ id: alert.id, key: alert.key, from, to: alert.state, drill: alert.drill }, 'alert transition')
  }
  const guard = (): void => {
    if (closed) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'alerts are closed')
  }
  const mustGet = (id: string): Alert => {
    const a = repo.get(id)
    if (a === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no alert ${id}`)
    return a
  }
  /** a person moves an alert: one transaction; a second click on the same state changes nothing and emits nothing */
  const byHand = (verb: 'acknowledge' | 'resolve', id: string, by: string, note: string | undefined, group: string | undefined,
    next: (a: Alert) => Alert): Alert => {
    guard()
    if (by.trim() === '') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${verb} needs who (by)`)
    const result = repo.transaction(() => {
      const a = mustGet(id)
      if (a.state === (verb === 'acknowledge' ? 'acknowledged' : 'resolved')) return { alert: a, from: a.state, changed: false }
      const moved = next(a)
      repo.update(moved, a.state, by, note ?? null, group)
      return { alert: moved, from: a.state, changed: true }
    })
    if (result.changed) emit(result.alert, result.from)
    return result.alert
  }
  const validate = (s: AlertSignal): void => {
    for (const k of ['kind', 'subjectId', 'rule', 'title'] as const) {
      if (typeof s[k] !== 'string' || s[k] === '') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `alert ${k} must be a non-empty string`)
    }
    if (!ALERT_SEVERITIES.includes(s.severity)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `alert severity must be one of ${ALERT_SEVERITIES.join(', ')}`)
  }

  return {
    raise (signal, { confirmed = true } = {}) {
      guard()
      validate(signal)
      const key = alertKey(signal)
      const time = signal.time ?? clock()
      const result = repo.transaction(() => step(repo, signal, { key, time, confirmed }))
      if (result.changed) emit(result.alert, result.from)
      return result.alert
    },

    clear (ref, { time = clock(), resolution = 'cleared', by = 'system' } = {}) {
      guard()
      const key = alertKey(ref)
      const result = repo.transaction(() => {
        const open = repo.openByKey(key)
        if (open === undefined) return undefined
        const next: Alert = { ...open, state: 'resolved', resolvedAt: time, resolvedBy: by, resolution, updatedAt: time }
        repo.update(next, open.state, by, resolution)
        return { alert: next, from: open.state }
      })
      if (result === undefined) return undefined
      emit(result.alert, result.from)
      return result.alert
    },

    acknowledge (id, by, { time = clock(), note, group } = {}) {
      return byHand('acknowledge', id, by, note, group, a => {
        if (a.state === 'resolved') {
          throw new MimamoriError('MIMAMORI_ERR_ALERT_STATE', `alert ${id} is already resolved`, { details: { state: a.state } })
        }
        return { ...a, state: 'acknowledged', acknowledgedAt: time, acknowledgedBy: by, updatedAt: time }
      })
    },

    resolve (id, by, { time = clock(), note, group } = {}) {
      return byHand('resolve', id, by, note, group, a =>
        ({ ...a, state: 'resolved', resolvedAt: time, resolvedBy: by, resolution: note ?? 'manual', updatedAt: time }))
    },

    get: id => { guard(); return repo.get(id) },
    findOpen: ref => { guard(); return repo.openByKey(alertKey(ref)) },
    list: (filter = {}) => { guard(); return repo.list(filter) },
    history: id => { guard(); return repo.history(id) },
    annotate (id, by, note, { time = clock() } = {}) {
      guard()
      repo.transaction(() => { repo.note(id, mustGet(id).state, time, by, note) })
    },
    async close () {
      if (closed) return
      closed = true
      repo.close()
      outbox?.close?.()
    }
  }
}
