import type { RecordedPoint } from './csv.js'
import type { ReplayReport } from './report.js'
import { offsetMs } from './numbers.js'

const esc = (s: string): string => s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** the MLIT band colours the map uses (dashboard/web), so the figure reads like the dashboard */
const THRESHOLD_COLOUR: Record<string, string> = { standby: '#2f7d32', caution: '#e6b800', evacuationJudgement: '#f08c00', danger: '#c62828', flooding: '#6a1b9a' }
const QC_COLOUR: Record<string, string> = { 1: '#1565c0', 2: '#90a4ae', 3: '#f9a825', 4: '#d32f2f', 9: '#000000' }

export interface SvgReading { time: number, level: number, flag: number }

/** per whole pixel column (and class), the first, lowest and highest item, in time order */
export function thin<T extends { time: number }> (items: readonly T[], px: (t: T) => number, value: (t: T) => number, cls: (t: T) => number): T[] {
  const cols = new Map<string, T[]>()
  for (const it of items) {
    const key = `${Math.floor(px(it))}:${cls(it)}`
    const c = cols.get(key)
    if (c === undefined) { cols.set(key, [it, it, it]); continue }
    if (value(it) < value(c[1]!)) c[1] = it
    if (value(it) > value(c[2]!)) c[2] = it
  }
  const out = new Set<T>()
  for (const c of cols.values()) for (const it of c) out.add(it)
  return [...out].sort((a, b) => a.time - b.time)
}

/**
 * The replay as a hydrograph: the record's level (line), the stored readings
 * (dots coloured by QC flag), the five thresholds (dashed), and each alert as a
 * vertical mark at its data time. Plain SVG text, no library: it opens in any
 * browser and pastes into a report.
 */
export function hydrographSvg (report: ReplayReport, points: readonly RecordedPoint[], readings: readonly SvgReading[] = []): string {
  const W = 1000
  const H = 460
  const m = { l: 60, r: 170, t: 40, b: 50 }
  const from = Date.parse(report.from)
  const to = Math.max(Date.parse(report.to), from + 1)
  const pts = points.filter(p => p.time >= from && p.time <= to)
  const levels = [...pts.map(p => p.level), ...readings.filter(r => Number.isFinite(r.level)).map(r => r.level)]
  const shown = report.thresholds.filter(t => levels.length === 0 || t.level <= Math.max(...levels) + 0.5)
  let lo = Math.min(...levels, ...shown.map(t => t.level))
  let hi = Math.max(...levels, ...shown.map(t => t.level))
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1 }
  const pad = (hi - lo) * 0.08 || 0.1
  lo -= pad
  hi += pad
  const x = (t: number): number => m.l + (t - from) / (to - from) * (W - m.l - m.r)
  const y = (v: number): number => m.t + (hi - v) / (hi - lo) * (H - m.t - m.b)
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  out.push(`<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(`${report.station.name} — ${report.file}`)}</text>`)
  // axes: level ticks every "nice" step, time ticks every day (or 6 h on short records)
  const step = [0.1, 0.2, 0.25, 0.5, 1, 2, 5].find(s => (hi - lo) / s <= 8) ?? 10
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`)
    out.push(`<text x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(2)}</text>`)
  }
  const span = to - from
  const tstep = span > 4 * 86_400_000 ? 86_400_000 : span > 86_400_000 ? 6 * 3_600_000 : 3_600_000
  // the time axis in the data's own zone (as the report prints it)
  const JST = offsetMs(report.zone)
  for (let t = Math.ceil((from + JST) / tstep) * tstep - JST; t <= to; t += tstep) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#f2f2f2"/>`)
    const label = new Date(t + JST).toISOString().slice(tstep >= 86_400_000 ? 5 : 5, tstep >= 86_400_000 ? 10 : 16).replace('T', ' ')
    out.push(`<text x="${x(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${esc(label)}</text>`)
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${report.zone === '+09:00' ? 'JST' : report.zone === 'Z' ? 'UTC' : `UTC${report.zone}`}</text>`)
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">水位 level (m)</text>`)
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`)
  for (const t of shown) {
    const c = THRESHOLD_COLOUR[t.key] ?? '#555'
    out.push(`<line class="threshold" data-key="${esc(t.key)}" x1="${m.l}" x2="${W - m.r}" y1="${y(t.level).toFixed(1)}" y2="${y(t.level).toFixed(1)}" stroke="${c}" stroke-dasharray="6 4"/>`)
    out.push(`<text x="${W - m.r + 6}" y="${(y(t.level) + 4).toFixed(1)}" fill="${c}">${esc(`${t.name.replace(/ \(.*\)$/, '')} ${t.level.toFixed(2)}`)}</text>`)
  }
  // thinned to the plot's width: per pixel column the lowest and highest value (peaks survive), so
  // 13 days of 1-minute data draw in a few hundred kB at most, like an hour of them
  const record = thin(pts, p => x(p.time), p => p.level, () => 0)
  if (record.length > 0) out.push(`<polyline class="record" fill="none" stroke="#1e88e5" stroke-width="1.5" points="${record.map(p => `${x(p.time).toFixed(1)},${y(p.level).toFixed(1)}`).join(' ')}"/>`)
  const dots = thin(readings.filter(r => Number.isFinite(r.level) && r.time >= from && r.time <= to), r => x(r.time), r => r.level, r => r.flag)
  for (const r of dots) {
    out.push(`<circle class="reading" data-flag="${r.flag}" cx="${x(r.time).toFixed(1)}" cy="${y(r.level).toFixed(1)}" r="2" fill="${QC_COLOUR[r.flag] ?? '#555'}"/>`)
  }
  report.alerts.forEach((a, i) => {
    if (a.firedAt === null) return
    const t = Date.parse(a.firedAt)
    const key = a.rule.replace(/^threshold\./, '')
    const c = THRESHOLD_COLOUR[key] ?? (a.rule.startsWith('forecast') ? '#c62828' : '#455a64')
    out.push(`<g class="alert" data-rule="${esc(a.rule)}" data-time="${esc(a.firedAt)}"><line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="${c}" stroke-width="1"/>` +
      `<path d="M${x(t).toFixed(1)},${m.t} l-5,-8 h10 z" fill="${c}"/>` +
      `<text x="${(x(t) + 3).toFixed(1)}" y="${m.t + 14 + (i % 9) * 12}" fill="${c}" font-size="10">${esc(`${a.drill ? '【訓練】' : ''}${a.rule}`)}</text></g>`)
  })
  out.push(`<text x="${W - m.r + 6}" y="${H - m.b}" font-size="10" fill="#555">QC <tspan fill="${QC_COLOUR[1]}">● pass</tspan> <tspan fill="${QC_COLOUR[3]}">● suspect</tspan> <tspan fill="${QC_COLOUR[4]}">● fail</tspan></text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}
