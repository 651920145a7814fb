import { announcedAt } from '../alerts/index.js'
import type { Alert } from '../core/types.js'
import { atLeastLevel } from './levels.js'
import type { NotifyStore } from './store.js'

export interface EscalationSettings {
  afterMinutes: number
  minLevel: number
  rota: Array<{ name: string, users: string[] }>
}

/**
 * Unacknowledged Lv3+ alerts climb the rota: step k goes out k × afterMinutes
 * after the alert fired, to rota[k − 1] (the last step repeats until someone
 * acknowledges). The step, its outbox event and its line in the alert's audit
 * trail commit together (the alerts part writes its line on the same shared
 * connection, inside this transaction), so a restart neither skips nor repeats a step.
 * Returns how many steps were taken.
 */
/** adds a line to the alert's audit trail through the alerts API (notify never writes the alerts' tables) */
export type AnnotateAlert = (alertId: string, by: string, note: string, time: number) => void

export function escalate (nstore: NotifyStore, firing: Alert[], s: EscalationSettings, now: number, annotate: AnnotateAlert): number {
  let taken = 0
  const everyMs = s.afterMinutes * 60_000
  for (const alert of firing) {
    if (alert.state !== 'firing' || !atLeastLevel(alert, s.minLevel)) continue
    const since = announcedAt(alert)
    const done = nstore.escalation(alert.id)?.step ?? 0
    const due = Math.floor((now - since) / everyMs)
    if (due <= done) continue
    // one step per check, even after a long outage: people get one reminder, not a burst
    const step = done + 1
    const rung = s.rota.length === 0 ? null : s.rota[Math.min(step, s.rota.length) - 1]!
    const who = rung === null ? '通知先全員 / original recipients' : `${rung.name} (${rung.users.join(', ')})`
    nstore.transaction(() => {
      // re-read inside the write lock: another process may have taken this step a moment ago
      if ((nstore.escalation(alert.id)?.step ?? 0) >= step) return
      nstore.setEscalation(alert.id, step, now)
      nstore.insertEvent('escalation', alert.id, 'escalated', { alert, step, rotaName: rung?.name ?? null, users: rung?.users ?? null }, now)
      annotate(alert.id, 'notify:escalation', `エスカレーション ${step}段目 → ${who}: ${Math.round((now - since) / 60_000)}分未確認 / escalation step ${step}`, now)
      taken++
    })
  }
  return taken
}
