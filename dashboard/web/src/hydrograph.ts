import type uPlot from 'uplot'
import { STATUS_STYLE, THRESHOLD_BANDS } from './levels.js'
import { t } from './i18n.js'
import { loadUplot } from './uplot-loader.js'
import { tv } from './views-i18n.js'
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
  /** latest usable level, its time and the rate (m/h) for the forecast line */
  forecast: { time: number, level: number, rate: number, target: number | null } | null
}

export interface Hydrograph {
  draw(data: HydrographData): Promise<number>
  /** the x range the user zoomed to (ms) */
  onZoom(fn: (from: number, to: number) => void): void
  resize(): void
  destroy(): void
}

const SEVERITY_COLOUR: Record<string, string> = { minor: '#64748b', moderate: '#d4a100', severe: '#ff2800', extreme: '#aa00aa' }
const MISSING_FILL = 'rgba(120, 120, 120, 0.13)'
const ALERT_STRIP_PX = 8

/** MLIT line colours: the band's own colour, white standby drawn grey so it shows on white */
function lineColour (band: keyof typeof STATUS_STYLE): string {
  return band === 'standby' ? '#6b7280' : STATUS_STYLE[band].fill === '#0c000c' ? '#111111' : STATUS_STYLE[band].fill
}

/**
 * The station hydrograph on uPlot: mean level per bucket, the bucket's max/min
 * as a band, QC-flagged buckets as orange points, gaps (欠測) shaded, the five
 * MLIT thresholds and 観測開始水位 as labelled lines, the linear forecast to
 * the next threshold dashed, and the station's alerts as a strip on the same
 * time axis. Drag to zoom (the caller refetches at the finer resolution).
 */
export function createHydrograph (host: HTMLElement): Hydrograph {
  let plot: uPlot | undefined
  let current: HydrographData | undefined
  let zoomListener: ((from: number, to: number) => void) | undefined

  function thresholdLines (u: uPlot): void {
    if (current === undefined) return
    const ctx = u.ctx
    const { left, width, top, height } = u.bbox
    const lines: Array<{ value: number, label: string, colour: string, dash: number[] }> = THRESHOLD_BANDS.map(b => ({
      value: current!.thresholds[b.key] as number, label: t(`threshold.${b.key}`), colour: lineColour(b.band), dash: []
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

  function gapsAndAlerts (u: uPlot): void {
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

  /** where the forecast line ends (ms): a range reaching the present widens to show it */
  let forecastEnd = 0

  function toColumns (d: HydrographData): uPlot.AlignedData {
    forecastEnd = 0
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
    return [xs, mean, max, min, flagged, forecast]
  }

  function yRange (d: HydrographData): [number, number] {
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

  async function make (d: HydrographData): Promise<uPlot> {
    const U = await loadUplot()
    const width = Math.max(320, host.clientWidth)
    const opts: uPlot.Options = {
      width,
      height: Math.max(260, Math.min(440, Math.round(width * 0.45))),
      tzDate: ts => U.tzDate(new Date(ts * 1000), 'Asia/Tokyo'),
      scales: {
        x: { time: true },
        y: { range: () => yRange(current!) }
      },
      axes: [
        { stroke: '#334155', grid: { stroke: '#e2e8f0' } },
        { stroke: '#334155', grid: { stroke: '#e2e8f0' }, label: 'm', values: (_u, splits) => splits.map(v => v.toFixed(2)) }
      ],
      series: [
        // uPlot's default x label is the English "Time"
        { label: tv('chart.time') },
        { label: tv('station.legend.level'), stroke: '#1d4ed8', width: 2, spanGaps: false, points: { show: false } },
        { label: tv('station.legend.max'), stroke: 'rgba(29, 78, 216, 0.25)', width: 1, points: { show: false } },
        { label: tv('station.legend.min'), stroke: 'rgba(29, 78, 216, 0.25)', width: 1, points: { show: false } },
        { label: tv('station.legend.flagged'), stroke: '#c2410c', fill: '#fb923c', width: 0, paths: () => null, points: { show: true, size: 7, stroke: '#c2410c', fill: '#fb923c' } },
        { label: tv('station.legend.forecast'), stroke: '#7c3aed', width: 2, dash: [8, 6], spanGaps: true, points: { show: false } }
      ],
      bands: [{ series: [2, 3], fill: 'rgba(29, 78, 216, 0.10)' }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        drawClear: [gapsAndAlerts],
        draw: [thresholdLines],
        // a drag selects a span (the scale stays): the caller refetches it at its own resolution and redraws
        setSelect: [u => {
          if (zoomListener === undefined || u.select.width < 4) return
          const from = u.posToVal(u.select.left, 'x') * 1000
          const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
          zoomListener(from, to)
        }]
      }
    }
    return new U(opts, toColumns(d), host)
  }

  return {
    async draw (d) {
      const started = performance.now()
      current = d
      if (plot === undefined) plot = await make(d)
      else plot.setData(toColumns(d), false)
      const reachesNow = Date.now() - d.to < 15 * 60_000
      plot.setScale('x', { min: d.from / 1000, max: (reachesNow ? Math.max(d.to, forecastEnd) : d.to) / 1000 })
      // uPlot may commit on the next frame: measure to the frame that shows it
      await new Promise(resolve => requestAnimationFrame(resolve))
      return performance.now() - started
    },
    onZoom (fn) { zoomListener = fn },
    resize () {
      if (plot === undefined) return
      const width = Math.max(320, host.clientWidth)
      plot.setSize({ width, height: Math.max(260, Math.min(440, Math.round(width * 0.45))) })
    },
    destroy () {
      plot?.destroy()
      plot = undefined
    }
  }
}
