import { randomUUID } from 'node:crypto'
import type { Alert, AlertState } from '../core/types.js'
import type { AlertSignal } from './signal.js'
import { severityRank } from './severity.js'
import type { AlertRepository } from './repository.js'

/** the signal's details, with the historical mark when it has one */
export function detailsOf (signal: AlertSignal): Record<string, unknown> | undefined {
  if (signal.historical !== true) return signal.details
  return { ...signal.details, historical: true }
}

/**
 * One raise inside the caller's transaction: opens the alert for the key, or
 * refreshes the open one (confirms a pending one, makes a historical one current,
 * escalates the severity). `changed`: a state change or an escalation, announced.
 */
export function raiseStep (repo: AlertRepository, signal: AlertSignal, { key, time, confirmed }: { key: string, time: number, confirmed: boolean }): { alert: Alert, from: AlertState | null, changed: boolean } {
  const open = repo.openByKey(key)
  if (open === undefined) {
    const alert: Alert = {
      id: randomUUID(),
      key,
      kind: signal.kind,
      subjectId: signal.subjectId,
      rule: signal.rule,
      severity: signal.severity,
      state: confirmed ? 'firing' : 'pending',
      drill: signal.drill === true,
      title: signal.title,
      message: signal.message ?? '',
      details: detailsOf(signal) ?? {},
      observedAt: time,
      lastSeenAt: time,
      occurrences: 1,
      createdAt: time,
      updatedAt: time,
      firedAt: confirmed ? time : null,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      resolution: null
    }
    repo.insert(alert, 'system', null)
    return { alert, from: null, changed: true }
  }
  const escalates = severityRank(signal.severity) > severityRank(open.severity)
  const next: Alert = {
    ...open,
    severity: escalates ? signal.severity : open.severity,
    title: escalates ? signal.title : open.title,
    message: signal.message ?? open.message,
    // a later signal's details replace the open alert's, but when it was announced stays
    details: open.details.announcedAt === undefined ? detailsOf(signal) ?? open.details : { ...(detailsOf(signal) ?? open.details), announcedAt: open.details.announcedAt },
    lastSeenAt: Math.max(open.lastSeenAt, time),
    occurrences: open.occurrences + 1,
    updatedAt: time
  }
  if (open.state === 'pending' && confirmed) {
    next.state = 'firing'
    next.firedAt = time
    repo.update(next, open.state, 'system', 'confirmed')
    return { alert: next, from: open.state, changed: true }
  }
  if (open.state === 'firing' && open.details.historical === true && signal.historical !== true) {
    // it was raised from old data and never announced; current data says it still holds
    if (next.details.historical === true) next.details = Object.fromEntries(Object.entries(next.details).filter(([k]) => k !== 'historical'))
    // people hear of it now: the escalation clock starts now (announcedAt), not at yesterday's reading;
    // firedAt stays the crossing's data time (replay reports, the event card and the hydrograph read it)
    next.details = { ...next.details, announcedAt: time }
    repo.update(next, open.state, 'system', 'current data')
    return { alert: next, from: open.state, changed: true }
  }
  repo.refresh(next, escalates ? open.severity : undefined)
  return { alert: next, from: open.state, changed: escalates }
}
