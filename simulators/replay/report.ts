import type { Alert, Reading, Station } from '../../core/types.js'
import { THRESHOLD_RULES } from '../../core/river/thresholds.js'
import type { RecordedPoint } from './csv.js'
import { upwardCrossings } from './hydrograph.js'

/**
 * What a replay showed, in the data's own times (the shift a replay applies to
 * land in the frame's 45-day window is taken off again): crossings the record
 * contains, alerts the platform raised, how late each crossing was alerted, how
 * early 氾濫危険 was forecast, and the QC verdicts of the stored readings.
 * Printed by `mimamori sim replay`, written as JSON and drawn as SVG (svg.ts).
 */
export interface ReplayReport {
  station: { id: string, name: string }
  file: string
  /** original data times (ISO) */
  from: string
  to: string
  points: number
  readings: number
  peak: { time: string, level: number } | null
  thresholds: Array<{ key: string, name: string, level: number, crossings: string[] }>
  alerts: Array<{ rule: string, severity: string, state: string, drill: boolean, title: string, dataTime: string, firedAt: string | null, acknowledgedBy: string | null }>
  /** each upward crossing in the data and the threshold alert that answered it */
  detection: Array<{ threshold: string, crossing: string, alertAt: string | null, delayMinutes: number | null }>
  /** each 氾濫危険 crossing and the forecast alert before it */
  forecast: Array<{ crossing: string, forecastAt: string | null, leadMinutes: number | null }>
  qc: { byFlag: Record<string, number>, byTest: Record<string, number> }
  summary: { crossings: number, detected: number, missed: number, maxDelayMinutes: number | null, medianDelayMinutes: number | null, falseAlerts: number }
}

export interface ReportInput {
  station: Station
  file: string
  /** the replayed part of the record, original times */
  points: readonly RecordedPoint[]
  from: number
  to: number
  /** what the replay added to every data time */
  shiftMs: number
  /** stored readings of the replay window (shifted times) */
  readings: readonly Reading[]
  /** the station's alerts touched by the replay (shifted times) */
  alerts: readonly Alert[]
  hysteresisM: number
  /** an alert this long before a data crossing still answers it: the gauge's noise band reaches the line early */
  earlyToleranceMs?: number
}

const iso = (t: number): string => new Date(t).toISOString()
const MIN = 60_000

function median (xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function buildReport (i: ReportInput): ReplayReport {
  const pts = i.points.filter(p => p.time >= i.from && p.time <= i.to)
  const unshift = (t: number): number => t - i.shiftMs
  const early = i.earlyToleranceMs ?? 30 * MIN
  let peak: RecordedPoint | undefined
  for (const p of pts) if (peak === undefined || p.level > peak.level) peak = p

  const thresholds = THRESHOLD_RULES.map(th => {
    const level = i.station.thresholds[th.key]
    return { key: th.key, name: th.ja, level, crossings: upwardCrossings(pts, level, i.hysteresisM) }
  })
  const alerts = [...i.alerts].sort((a, b) => (a.firedAt ?? a.observedAt) - (b.firedAt ?? b.observedAt))
  const fired = (a: Alert): number | null => a.firedAt === null ? null : unshift(a.firedAt)

  const detection: ReplayReport['detection'] = []
  const used = new Set<string>()
  for (const th of thresholds) {
    for (const c of th.crossings) {
      const answer = alerts.find(a => a.rule === `threshold.${th.key}` && !used.has(a.id) && fired(a) !== null && fired(a)! >= c - early)
      if (answer !== undefined) used.add(answer.id)
      const at = answer === undefined ? null : fired(answer)
      detection.push({ threshold: th.key, crossing: iso(c), alertAt: at === null ? null : iso(at), delayMinutes: at === null ? null : Math.round((at - c) / MIN * 10) / 10 })
    }
  }
  const dangerCrossings = thresholds.find(t => t.key === 'danger')?.crossings ?? []
  const forecast = dangerCrossings.map(c => {
    const f = alerts.filter(a => a.rule === 'forecast.danger' && fired(a) !== null && fired(a)! <= c).pop()
    const at = f === undefined ? null : fired(f)
    return { crossing: iso(c), forecastAt: at === null ? null : iso(at), leadMinutes: at === null ? null : Math.round((c - at) / MIN) }
  })
  const byFlag: Record<string, number> = {}
  const byTest: Record<string, number> = {}
  for (const r of i.readings) {
    const flag = String(r.qc?.flag ?? 2)
    byFlag[flag] = (byFlag[flag] ?? 0) + 1
    for (const [test] of Object.entries(r.qc?.tests ?? {})) byTest[test] = (byTest[test] ?? 0) + 1
  }
  const delays = detection.flatMap(d => d.delayMinutes === null ? [] : [d.delayMinutes])
  const thresholdAlerts = alerts.filter(a => a.rule.startsWith('threshold.'))
  return {
    station: { id: i.station.id, name: i.station.name },
    file: i.file,
    from: iso(i.from),
    to: iso(i.to),
    points: pts.length,
    readings: i.readings.length,
    peak: peak === undefined ? null : { time: iso(peak.time), level: peak.level },
    thresholds: thresholds.map(t => ({ key: t.key, name: t.name, level: t.level, crossings: t.crossings.map(iso) })),
    alerts: alerts.map(a => ({ rule: a.rule, severity: a.severity, state: a.state, drill: a.drill, title: a.title, dataTime: iso(unshift(a.observedAt)), firedAt: a.firedAt === null ? null : iso(unshift(a.firedAt)), acknowledgedBy: a.acknowledgedBy })),
    detection,
    forecast,
    qc: { byFlag, byTest },
    summary: {
      crossings: detection.length,
      detected: delays.length,
      missed: detection.length - delays.length,
      maxDelayMinutes: delays.length === 0 ? null : Math.max(...delays),
      medianDelayMinutes: median(delays),
      // a threshold alert no crossing in the data explains (noise, a spike QC let through)
      falseAlerts: thresholdAlerts.filter(a => !used.has(a.id) && a.firedAt !== null).length
    }
  }
}

const jst = (t: string): string => new Date(Date.parse(t) + 9 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ') + ' JST'

/** the report as an operator reads it in the terminal (Japanese first) */
export function formatReport (r: ReplayReport): string {
  const lines = [
    `報告 Report — ${r.station.name} (${r.station.id}) ← ${r.file}`,
    `  データ data:    ${jst(r.from)} → ${jst(r.to)}, ${r.points} points, ${r.readings} readings stored`,
    `  最高水位 peak:  ${r.peak === null ? '-' : `${r.peak.level.toFixed(2)} m at ${jst(r.peak.time)}`}`,
    '  到達 crossings in the data → alert (detection delay):'
  ]
  for (const d of r.detection) {
    const th = r.thresholds.find(t => t.key === d.threshold)!
    lines.push(`    ${th.name} ${th.level.toFixed(2)} m  ${jst(d.crossing)} → ${d.alertAt === null ? 'NO ALERT 未検知' : `${jst(d.alertAt)} (${d.delayMinutes! >= 0 ? '+' : ''}${d.delayMinutes} min)`}`)
  }
  if (r.detection.length === 0) lines.push('    none: the record stays below 水防団待機水位')
  for (const f of r.forecast) lines.push(`  予測 forecast 氾濫危険: ${f.forecastAt === null ? 'none before the crossing' : `${jst(f.forecastAt)}, ${f.leadMinutes} min ahead of ${jst(f.crossing)}`}`)
  lines.push(`  警報 alerts raised: ${r.alerts.length}${r.alerts.some(a => a.drill) ? ' 【訓練】' : ''}`)
  for (const a of r.alerts) lines.push(`    ${a.firedAt === null ? '(pending)' : jst(a.firedAt)}  ${a.rule}  ${a.severity}  ${a.state}`)
  const flags = Object.entries(r.qc.byFlag).map(([f, n]) => `${f}:${n}`).join(' ')
  const tests = Object.entries(r.qc.byTest).map(([t, n]) => `${t} ${n}`).join(', ')
  lines.push(`  QC flags: ${flags === '' ? '-' : flags}${tests === '' ? '' : ` (${tests})`}  (1 pass, 3 suspect, 4 fail, 9 missing)`)
  const s = r.summary
  lines.push(`  要約 summary: ${s.detected}/${s.crossings} crossings alerted, median delay ${s.medianDelayMinutes ?? '-'} min, max ${s.maxDelayMinutes ?? '-'} min, ${s.falseAlerts} alerts without a crossing`)
  return lines.join('\n') + '\n'
}
