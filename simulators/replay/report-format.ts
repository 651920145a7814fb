import type { ReplayReport } from './report.js'
import { offsetMs, round } from './numbers.js'

/** a data time in the data's own zone, with JST beside when that differs */
export function dataTime (t: string, zone: string): string {
  const ms = Date.parse(t)
  const local = new Date(ms + offsetMs(zone)).toISOString().slice(0, 16).replace('T', ' ') + (zone === 'Z' ? ' UTC' : ` ${zone}`)
  if (zone === '+09:00') return local.replace(' +09:00', ' JST')
  return `${local} (${new Date(ms + 9 * 3_600_000).toISOString().slice(5, 16).replace('T', ' ')} JST)`
}

const MAX_LINES = 12

/**
 * The report as an operator reads it in the terminal: a compact summary first
 * (a dozen lines whatever the record's length); `detail` adds every alert,
 * artefact, gap and episode.
 */
export function formatReport (r: ReplayReport, detail = false): string {
  const z = (t: string): string => dataTime(t, r.zone)
  const s = r.summary
  const lines = [
    `報告 Report — ${r.station.name} (${r.station.id}) ← ${r.file}`,
    `  data:      ${z(r.from)} → ${z(r.to)}; ${r.points} rows, ${r.readings} readings stored, every ${r.sampleMinutes} min`,
    `  要約:      ${s.detected}/${s.crossings} crossings alerted (${s.onTime} within one sample), median delay ${s.medianDelayMinutes ?? '-'} min, max ${s.maxDelayMinutes ?? '-'} min; ` +
      `${s.falseAlerts} false alerts (no crossing in the readings that pass QC); ${s.artefacts} QC artefacts above a threshold; ${s.gaps} gaps (欠測); ${s.episodes} obstruction episodes`,
    `  peak:      ${r.peak === null ? '-' : `${r.peak.level.toFixed(2)} m at ${z(r.peak.time)}`}`,
    `  times:     data time = API time − ${round(r.shiftMs / 3_600_000, 2)} h (shiftMs ${r.shiftMs})`
  ]
  const cap = <T>(xs: T[], f: (x: T) => string, what: string): void => {
    const shown = detail ? xs : xs.slice(0, MAX_LINES)
    for (const x of shown) lines.push(`    ${f(x)}`)
    if (shown.length < xs.length) lines.push(`    … ${xs.length - shown.length} more ${what} (--detail)`)
  }
  lines.push('  到達 crossings (readings that pass QC) → alert:')
  if (r.detection.length === 0) lines.push('    none')
  cap(r.detection, d => {
    const th = r.thresholds.find(t => t.key === d.threshold)!
    return `${th.name} ${th.level.toFixed(2)} m  ${z(d.crossing)} → ${d.alertAt === null ? 'NO ALERT 未検知' : `${z(d.alertAt)} (${d.delayMinutes! >= 0 ? '+' : ''}${d.delayMinutes} min${d.onTime ? '' : ', late'})`}`
  }, 'crossings')
  for (const f of r.forecast) lines.push(`  予測 forecast 氾濫危険: ${f.forecastAt === null ? 'none before the crossing' : `${z(f.forecastAt)}, ${f.leadMinutes} min ahead of ${z(f.crossing)}`}`)
  if (r.falseAlerts.length > 0) { lines.push('  false alerts:'); cap(r.falseAlerts, a => `${z(a.dataTime)}  ${a.rule}`, 'false alerts') }
  if (r.artefacts.length > 0) { lines.push('  QC artefacts (failed, not alerted):'); cap(r.artefacts, a => `${z(a.time)}  ${a.level.toFixed(3)} m  ${a.tests.join(', ')}`, 'artefacts') }
  if (r.gaps.length > 0) { lines.push('  欠測 gaps:'); cap(r.gaps, g => `${z(g.from)} → ${z(g.to)} (${g.minutes} min)`, 'gaps') }
  if (r.episodes.length > 0) { lines.push('  obstruction episodes:'); cap(r.episodes, e => `${z(e.start)} → ${z(e.end)}: ${e.echoes} echoes failed, ${e.kept} genuine kept`, 'episodes') }
  if (detail) {
    lines.push(`  警報 alerts raised: ${r.alerts.length}${r.alerts.some(a => a.drill) ? ' 【訓練】' : ''}`)
    for (const a of r.alerts) lines.push(`    ${a.firedAt === null ? '(pending)' : z(a.firedAt)}  ${a.rule}  ${a.severity}  ${a.state}`)
  } else lines.push(`  警報 alerts raised: ${r.alerts.length}${r.alerts.some(a => a.drill) ? ' 【訓練】' : ''} (--detail lists them)`)
  const flags = Object.entries(r.qc.byFlag).map(([f, n]) => `${f}:${n}`).join(' ')
  const tests = Object.entries(r.qc.byTest).map(([t, n]) => `${t} ${n}`).join(', ')
  lines.push(`  QC flags: ${flags === '' ? '-' : flags}${tests === '' ? '' : ` (${tests})`}  (1 pass, 3 suspect, 4 fail, 9 missing)`)
  return lines.join('\n') + '\n'
}
