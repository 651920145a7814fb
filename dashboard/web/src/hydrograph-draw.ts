import type uPlot from 'uplot'
import { STATUS_STYLE, THRESHOLD_BANDS } from './levels.js'
import { t } from './i18n.js'
import type { AlertView } from './alerts-api.js'
import type { SeriesPoint, Thresholds } from './types.js'

/**
 * An alert on the chart's axis, which is data time: from the observation that
 * raised it to the last one that supported it (still open: to now). Wall-clock
 * firedAt/resolvedAt differ for a backlog or a replay.
 */
export function alertSpan (a: AlertView): [number, number] {
  const start = Date.parse(a.observedAt)
  return [start, a.state === 'resolved' ? Math.max(start, Date.parse(a.lastSeenAt)) : Date.now()]
}

export interface HydrographData {
  points: SeriesPoint[]
  bucketMs: number
  /** x range shown, ms */
  from: number
  to: number
  thresholds: Thresholds
  alerts: AlertView[]
  /** 欠測: no frame at all between these data times (ms), shaded like missing buckets */
  gaps?: Array<[number, number]>
  /** obstruction episodes (ms), a hatched strip at the foot of the chart */
  episodes?: Array<[number, number]>
  /** latest usable level, its time and the rate (m/h) for the forecast line */
  forecast: { time: number, level: number, rate: number, target: number | null } | null
}

const SEVERITY_COLOUR: Record<string, string> = { minor: '#64748b', moderate: '#d4a100', severe: '#ff2800', extreme: '#aa00aa' }
const MISSING_FILL = 'rgba(120, 120, 120, 0.13)'
const ALERT_STRIP_PX = 8
const EPISODE_FILL = 'rgba(234, 88, 12, 0.55)'

/** MLIT line colours: the band's own colour, white standby drawn grey so it shows on white */
function lineColour (band: keyof typeof STATUS_STYLE): string {
  return band === 'standby' ? '#6b7280' : STATUS_STYLE[band].fill === '#0c000c' ? '#111111' : STATUS_STYLE[band].fill
}

/** the five MLIT thresholds and 観測開始水位 as labelled lines across the plot */
export function thresholdLines (u: uPlot, current: HydrographData | undefined): void {
  if (current === undefined) return
  const ctx = u.ctx
  const { left, width, top, height } = u.bbox
  const lines: Array<{ value: number, label: string, colour: string, dash: number[] }> = THRESHOLD_BANDS.map(b => ({
    value: current.thresholds[b.key] as number, label: t(`threshold.${b.key}`), colour: lineColour(b.band), dash: []
  }))
  if (current.thresholds.observationStart !== undefined) lines.push({ value: current.thresholds.observationStart, label: t('threshold.observationStart'), colour: '#0b7285', dash: [6, 4] })
  ctx.save()
  ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`
  ctx.textAlign = 'right'
  ctx.textBaseline = 'bottom'
  for (const l of lines) {
    const y = Math.round(u.valToPos(l.value, 'y', true))
    if (y < top || y > top + height) continue
    ctx.strokeStyle = l.colour
    ctx.lineWidth = 1.5 * devicePixelRatio
    ctx.setLineDash(l.dash.map(d => d * devicePixelRatio))
    ctx.beginPath()
    ctx.moveTo(left, y)
    ctx.lineTo(left + width, y)
    ctx.stroke()
    ctx.fillStyle = l.colour === '#f2e700' ? '#6b6400' : l.colour
    ctx.fillText(`${l.label} ${l.value.toFixed(2)} m`, left + width - 4 * devicePixelRatio, y - 2 * devicePixelRatio)
  }
  ctx.restore()
}


/** missing buckets and 欠測 gaps shaded, obstruction episodes at the foot, the alerts as a strip on top */
export function gapsAndAlerts (u: uPlot, current: HydrographData | undefined): void {
  if (current === undefined) return
  const ctx = u.ctx
  const { top, height, left, width } = u.bbox
  ctx.save()
  ctx.fillStyle = MISSING_FILL
  for (const p of current.points) {
    if (p.count > 0 || p.missing === 0) continue
    const t0 = Date.parse(p.time) / 1000
    const x0 = u.valToPos(t0, 'x', true)
    const x1 = Math.max(x0 + 2, u.valToPos(t0 + current.bucketMs / 1000, 'x', true))
    ctx.fillRect(x0, top, x1 - x0, height)
  }
  const span = (from: number, to: number): [number, number] | null => {
    const x0 = Math.max(left, u.valToPos(from / 1000, 'x', true))
    const x1 = Math.min(left + width, Math.max(x0 + 2, u.valToPos(to / 1000, 'x', true)))
    return x1 <= left || x0 >= left + width ? null : [x0, x1]
  }
  for (const [from, to] of current.gaps ?? []) {
    const x = span(from, to)
    if (x !== null) ctx.fillRect(x[0], top, x[1] - x[0], height)
  }
  ctx.fillStyle = EPISODE_FILL
  for (const [from, to] of current.episodes ?? []) {
    const x = span(from, to)
    if (x !== null) ctx.fillRect(x[0], top + height - ALERT_STRIP_PX * devicePixelRatio, x[1] - x[0], ALERT_STRIP_PX * devicePixelRatio)
  }
  for (const a of current.alerts) {
    const [startMs, endMs] = alertSpan(a)
    const start = startMs / 1000
    const end = endMs / 1000
    const x0 = Math.max(left, u.valToPos(start, 'x', true))
    const x1 = Math.min(left + width, Math.max(x0 + 3, u.valToPos(end, 'x', true)))
    if (x1 <= left || x0 >= left + width) continue
    ctx.fillStyle = SEVERITY_COLOUR[a.severity] ?? '#64748b'
    ctx.fillRect(x0, top, x1 - x0, ALERT_STRIP_PX * devicePixelRatio)
  }
  ctx.restore()
}

/**
 * uPlot columns: time, mean, max, min, QC-flagged and the forecast; `forecastEnd` is where the
 * forecast line ends (ms; 0 without one): a range reaching the present widens to show it.
 */
export function toColumns (d: HydrographData): { data: uPlot.AlignedData, forecastEnd: number } {
  let forecastEnd = 0
  const xs: number[] = []
  const mean: Array<number | null> = []
  const max: Array<number | null> = []
  const min: Array<number | null> = []
  const flagged: Array<number | null> = []
  const forecast: Array<number | null> = []
  let lastMean: number | null = null
  for (const p of d.points) {
    xs.push(Date.parse(p.time) / 1000)
    mean.push(p.mean)
    max.push(p.max)
    min.push(p.min)
    // a bucket whose only reading failed QC has no level to draw: mark it on the line where it would be
    flagged.push(p.flagged > 0 ? (p.max ?? p.mean ?? lastMean) : null)
    if (p.mean !== null) lastMean = p.mean
    forecast.push(null)
  }
  const f = d.forecast
  if (f !== null && f.rate > 0 && xs.length > 0 && f.time / 1000 >= xs[xs.length - 1]!) {
    // from the last reading to the next threshold, or 6 h ahead, whichever comes first
    const hours = f.target === null ? 6 : Math.min(6, (f.target - f.level) / f.rate)
    const endT = f.time + hours * 3_600_000
    forecastEnd = endT
    forecast[forecast.length - 1] = null
    xs.push(f.time / 1000 + 0.001, endT / 1000)
    for (const col of [mean, max, min, flagged]) col.push(null, null)
    forecast.push(f.level, f.level + f.rate * hours)
  }
  return { data: [xs, mean, max, min, flagged, forecast], forecastEnd }
}


/** the data with the next threshold above it (and 観測開始水位 below), padded */
export function yRange (d: HydrographData): [number, number] {
  const vals = d.points.flatMap(p => [p.min, p.max, p.mean]).filter((v): v is number => v !== null)
  let lo = vals.length === 0 ? d.thresholds.standby - 0.5 : Math.min(...vals)
  let hi = vals.length === 0 ? d.thresholds.caution : Math.max(...vals)
  // always show the next threshold above the data (and observation start below it), so the margin is read at a glance
  const next = THRESHOLD_BANDS.map(b => d.thresholds[b.key] as number).filter(v => v > hi).sort((a, b) => a - b)[0]
  hi = Math.max(hi, next ?? hi)
  if (d.forecast !== null && d.forecast.target !== null) hi = Math.max(hi, d.forecast.target)
  if (d.thresholds.observationStart !== undefined) lo = Math.min(lo, d.thresholds.observationStart)
  const pad = Math.max(0.1, (hi - lo) * 0.08)
  return [lo - pad, hi + pad]
}
