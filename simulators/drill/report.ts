import type { Alert } from '../../core/types.js'
import type { AlertTransition } from '../../alerts/repository.js'
import type { DrillRun, InjectedAt } from './run.js'
import type { DrillPlan } from './scenario.js'

/**
 * The end-of-drill report: what was injected and when, every alert the drill
 * raised (each must carry the drill flag), who acknowledged what and when, and
 * the time from each injected event to each acknowledgement.
 */
export interface DrillReport {
  name: string
  publicChannels: boolean
  speed: number
  startedAt: string
  endedAt: string
  events: Array<{ id: string, subjectId: string, subjectName: string, description: string, scenarioMinutes: number, injectedAt: string }>
  alerts: Array<{
    id: string
    kind: string
    subjectId: string
    rule: string
    severity: string
    state: string
    drill: boolean
    /** as people see it: 【訓練】 + the alert's title */
    title: string
    /** data time the alert fired */
    firedAt: string | null
    acknowledgedBy: string | null
    acknowledgedAt: string | null
  }>
  /** every acknowledgement (and every resolve by a person) of a drill alert */
  acknowledgements: Array<{
    alertId: string
    subjectId: string
    rule: string
    action: 'acknowledged' | 'resolved'
    by: string
    at: string
    note: string | null
    /** the injected event that led to the alert: the last one on the same device before the alert fired */
    eventId: string | null
    minutesFromEvent: number | null
    /** minutes from every earlier injected event on the same device */
    sinceEvents: Record<string, number>
  }>
  summary: { events: number, alerts: number, allDrill: boolean, acknowledged: number, unacknowledged: number, medianMinutesToAck: number | null, failures: string[] }
}

export const DRILL_MARK = '【訓練】'

const iso = (t: number): string => new Date(t).toISOString()
const minutes = (ms: number): number => Math.round(ms / 6000) / 10

export function buildDrillReport (plan: DrillPlan, run: DrillRun, alerts: readonly Alert[], history: (id: string) => AlertTransition[], speed = plan.scenario.speed): DrillReport {
  const acks: DrillReport['acknowledgements'] = []
  const eventsOn = (subjectId: string): InjectedAt[] => run.injected.filter(e => e.subjectId === subjectId)
  for (const a of alerts) {
    const fired = a.firedAt ?? a.observedAt
    const cause = eventsOn(a.subjectId).filter(e => e.dataAt <= fired).pop()
    for (const t of history(a.id)) {
      const human = t.by !== null && t.by !== 'system'
      if (!(t.to === 'acknowledged' || (t.to === 'resolved' && human)) || t.by === null) continue
      const since: Record<string, number> = {}
      for (const e of eventsOn(a.subjectId)) if (e.wallAt <= t.at) since[e.id] = minutes(t.at - e.wallAt)
      acks.push({
        alertId: a.id,
        subjectId: a.subjectId,
        rule: a.rule,
        action: t.to,
        by: t.by,
        at: iso(t.at),
        note: t.note,
        eventId: cause?.id ?? null,
        minutesFromEvent: cause === undefined ? null : minutes(t.at - cause.wallAt),
        sinceEvents: since
      })
    }
  }
  acks.sort((x, y) => x.at.localeCompare(y.at))
  const firstAck = new Map<string, number>()
  for (const k of acks) if (k.minutesFromEvent !== null && !firstAck.has(k.alertId)) firstAck.set(k.alertId, k.minutesFromEvent)
  const toAck = [...firstAck.values()].sort((x, y) => x - y)
  const acked = new Set(acks.map(k => k.alertId))
  return {
    name: plan.scenario.name,
    publicChannels: plan.scenario.publicChannels,
    speed,
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    events: run.injected.map(e => ({ id: e.id, subjectId: e.subjectId, subjectName: e.subjectName, description: e.description, scenarioMinutes: minutes(e.atMs), injectedAt: iso(e.wallAt) })),
    alerts: alerts.map(a => ({
      id: a.id,
      kind: a.kind,
      subjectId: a.subjectId,
      rule: a.rule,
      severity: a.severity,
      state: a.state,
      drill: a.drill,
      title: `${a.drill ? DRILL_MARK : ''}${a.title}`,
      firedAt: a.firedAt === null ? null : iso(a.firedAt),
      acknowledgedBy: a.acknowledgedBy,
      acknowledgedAt: a.acknowledgedAt === null ? null : iso(a.acknowledgedAt)
    })),
    acknowledgements: acks,
    summary: {
      events: run.injected.length,
      alerts: alerts.length,
      allDrill: alerts.every(a => a.drill),
      acknowledged: acked.size,
      unacknowledged: alerts.filter(a => !acked.has(a.id)).length,
      medianMinutesToAck: toAck.length === 0 ? null : toAck.length % 2 === 1 ? toAck[toAck.length >> 1]! : (toAck[(toAck.length >> 1) - 1]! + toAck[toAck.length >> 1]!) / 2,
      failures: run.failures
    }
  }
}

const hm = (t: string): string => new Date(Date.parse(t) + 9 * 3_600_000).toISOString().slice(11, 19)

/** the report as the trainer reads it at the end of the drill (Japanese first, JST) */
export function formatDrillReport (r: DrillReport): string {
  const lines = [
    `${DRILL_MARK} 訓練報告 Drill report — ${r.name}`,
    `  実施 run:        ${hm(r.startedAt)} → ${hm(r.endedAt)} JST, speed ${r.speed}×, public channels ${r.publicChannels ? 'ALLOWED 住民向け配信あり' : 'off 住民向け配信なし'}`,
    '  注入 events injected:'
  ]
  for (const e of r.events) lines.push(`    ${e.id}  ${hm(e.injectedAt)}  +${e.scenarioMinutes} min  ${e.subjectName}: ${e.description}`)
  lines.push(`  警報 alerts raised (at their data time; = wall time at speed 1): ${r.alerts.length}${r.summary.allDrill ? ' (all 訓練)' : ' — NOT ALL FLAGGED AS DRILL'}`)
  for (const a of r.alerts) lines.push(`    ${a.firedAt === null ? '(pending)' : hm(a.firedAt)}  ${a.title}  [${a.state}${a.acknowledgedBy === null ? '' : ` by ${a.acknowledgedBy}`}]`)
  lines.push('  確認 acknowledgements (who, when, time from the injected event):')
  if (r.acknowledgements.length === 0) lines.push('    none 未確認')
  for (const k of r.acknowledgements) {
    lines.push(`    ${hm(k.at)}  ${k.by}  ${k.action} ${k.subjectId} ${k.rule}${k.eventId === null ? '' : `  +${k.minutesFromEvent} min after ${k.eventId}`}${k.note === null ? '' : `  “${k.note}”`}`)
  }
  const s = r.summary
  lines.push(`  要約 summary: ${s.events} events, ${s.alerts} alerts, ${s.acknowledged} acknowledged, ${s.unacknowledged} not acknowledged, median ${s.medianMinutesToAck ?? '-'} min from event to acknowledgement`)
  for (const f of s.failures) lines.push(`  not delivered: ${f}`)
  return lines.join('\n') + '\n'
}
