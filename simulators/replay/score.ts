import type { Thresholds } from '../../core/types.js'
import { effectiveHysteresis } from '../../core/river/qc-limits.js'
import { stepCrossing, THRESHOLD_RULES, type CrossingState } from '../../core/river/thresholds.js'

/**
 * Scores what a platform alerted against the data it was given (the replay
 * report and the field-fitness tests): the threshold crossings the readings that
 * PASS QC contain, each with the alert that answered it, alerts no crossing
 * explains (false alerts), and the QC-failed readings that stood above a
 * threshold (artefacts: a spike, an obstruction echo), listed apart so a rejected
 * spike is never scored as the crossing.
 */
export interface ScoredReading {
  time: number
  /** NaN: a frame without a level */
  level: number
  /** QARTOD flag after every revision (1 pass, 3 suspect, 4 fail, 9 missing) */
  flag: number
  tests?: Record<string, number>
}

export interface ScoredAlert {
  id: string
  rule: string
  /** data time of the observation that raised it */
  observedAt: number
  firedAt: number | null
}

export interface ScoreOptions {
  thresholds: Thresholds
  hysteresisM: number
  zeroLevel: number
  clearDwellMs: number
  /** the data's own reporting step: an alert within one step of the crossing is on time */
  sampleMs: number
  /** an alert this long before a data crossing still answers it (a confirmed suspect reading) */
  earlyToleranceMs?: number
}

export interface Crossing {
  threshold: string
  level: number
  /** data time of the first reading not failed by QC at/above the threshold */
  time: number
  alertAt: number | null
  delayMs: number | null
  /** delay within one reporting step */
  onTime: boolean
}

export interface Score {
  crossings: Crossing[]
  /** threshold alerts with no crossing in the passing readings */
  falseAlerts: ScoredAlert[]
  /** QC-failed readings above the lowest threshold: what a naive system would have alerted on */
  artefacts: Array<{ time: number, level: number, tests: string[] }>
  forecast: Array<{ crossing: number, forecastAt: number | null, leadMs: number | null }>
}

/** Crossings with the rules' own hysteresis (never down to the sensor zero) and clear dwell. */
export function dataCrossings (readings: readonly ScoredReading[], o: ScoreOptions): Array<{ threshold: string, level: number, time: number }> {
  const out: Array<{ threshold: string, level: number, time: number }> = []
  for (const th of THRESHOLD_RULES) {
    const level = o.thresholds[th.key]
    const s: CrossingState = { active: false, aboveSince: null, belowSince: null }
    const h = effectiveHysteresis(level, o.hysteresisM, o.zeroLevel)
    for (const r of readings) {
      // pass (1) or suspect (3): a suspect reading that was an artefact has been revised to 4
      if ((r.flag !== 1 && r.flag !== 3) || !Number.isFinite(r.level)) continue
      if (stepCrossing(s, r.level, r.time, level, { hysteresisM: h, raiseDwellMs: 0, clearDwellMs: o.clearDwellMs }) === 'raise') out.push({ threshold: th.key, level, time: r.time })
    }
  }
  return out.sort((a, b) => a.time - b.time)
}

export function scoreRun (readings: readonly ScoredReading[], alerts: readonly ScoredAlert[], o: ScoreOptions): Score {
  const early = o.earlyToleranceMs ?? o.sampleMs
  const fired = (a: ScoredAlert): number => a.firedAt ?? a.observedAt
  const used = new Set<string>()
  const crossings: Crossing[] = dataCrossings(readings, o).map(c => {
    const answer = alerts
      .filter(a => a.rule === `threshold.${c.threshold}` && !used.has(a.id) && fired(a) >= c.time - early)
      .sort((a, b) => fired(a) - fired(b))[0]
    if (answer !== undefined) used.add(answer.id)
    const at = answer === undefined ? null : fired(answer)
    const delay = at === null ? null : at - c.time
    return { ...c, alertAt: at, delayMs: delay, onTime: delay !== null && delay <= o.sampleMs }
  })
  const falseAlerts = alerts.filter(a => a.rule.startsWith('threshold.') && !used.has(a.id) && a.firedAt !== null)
  const lowest = Math.min(...THRESHOLD_RULES.map(t => o.thresholds[t.key]))
  const artefacts = readings
    .filter(r => r.flag === 4 && Number.isFinite(r.level) && r.level >= lowest)
    .map(r => ({ time: r.time, level: r.level, tests: Object.keys(r.tests ?? {}) }))
  const forecast = crossings.filter(c => c.threshold === 'danger').map(c => {
    const f = alerts.filter(a => a.rule === 'forecast.danger' && fired(a) <= c.time).sort((a, b) => fired(a) - fired(b)).pop()
    const at = f === undefined ? null : fired(f)
    return { crossing: c.time, forecastAt: at, leadMs: at === null ? null : c.time - at }
  })
  return { crossings, falseAlerts, artefacts, forecast }
}
