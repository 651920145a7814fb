import { s } from './dom.js'
import { formatLevel } from './format.js'
import { t } from './i18n.js'
import { STATUS_STYLE, THRESHOLD_BANDS, alertLevel } from './levels.js'
import type { StationStatus, Thresholds } from './types.js'

export interface Point {
  /** ms since epoch */
  t: number
  /** metres */
  v: number
}

export interface SparklineOptions {
  from: number
  to: number
  thresholds: Thresholds
  status: StationStatus
  width?: number
  height?: number
}

const PAD = { left: 4, right: 34, top: 6, bottom: 14 }

/** darker stroke for threshold lines whose band colour is too light on white */
function lineColour (band: StationStatus): string {
  if (band === 'standby') return '#6b7280'
  if (band === 'caution') return '#b3a900'
  return STATUS_STYLE[band].fill
}

function shortLabel (band: StationStatus): string {
  const lv = alertLevel(band)
  return lv === null ? t('short.standby') : `Lv${lv}`
}

/**
 * A small inline SVG chart of one station's last hours, with the MLIT
 * threshold lines that matter at this scale: those inside the range of the
 * data and the next one above it, so the gap to the next band is visible.
 */
export function sparkline (points: readonly Point[], opts: SparklineOptions): SVGSVGElement {
  const width = opts.width ?? 260
  const height = opts.height ?? 84
  const plotW = width - PAD.left - PAD.right
  const plotH = height - PAD.top - PAD.bottom
  const inWindow = points.filter(p => p.t >= opts.from && p.t <= opts.to)

  const svg = s('svg', {
    class: 'sparkline',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img'
  })
  svg.append(s('rect', { class: 'sparkline-bg', x: PAD.left, y: PAD.top, width: plotW, height: plotH }))

  const axisY = height - 3
  svg.append(
    s('text', { class: 'sparkline-axis', x: PAD.left, y: axisY, 'text-anchor': 'start' }, t('chart.start')),
    s('text', { class: 'sparkline-axis', x: PAD.left + plotW, y: axisY, 'text-anchor': 'end' }, t('chart.end'))
  )

  if (inWindow.length === 0) {
    svg.setAttribute('aria-label', t('popup.chartEmpty'))
    svg.append(s('text', { class: 'sparkline-empty', x: PAD.left + plotW / 2, y: PAD.top + plotH / 2 + 4, 'text-anchor': 'middle' }, t('popup.chartEmpty')))
    return svg
  }

  const values = inWindow.map(p => p.v)
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const lines: Array<{ band: StationStatus, value: number }> = []
  let nextAbove: { band: StationStatus, value: number } | undefined
  for (const { key, band } of THRESHOLD_BANDS) {
    const value = opts.thresholds[key]
    if (value === undefined) continue
    if (value > hi) nextAbove = { band, value } // bands run highest first: the last one kept is the nearest above
    else if (value >= lo - (hi - lo) * 0.5) lines.push({ band, value })
  }
  if (nextAbove !== undefined) lines.push(nextAbove)

  let yMin = Math.min(lo, ...lines.map(l => l.value))
  let yMax = Math.max(hi, ...lines.map(l => l.value))
  if (yMax - yMin < 0.2) {
    const mid = (yMax + yMin) / 2
    yMin = mid - 0.1
    yMax = mid + 0.1
  }
  const span = yMax - yMin
  yMin -= span * 0.08
  yMax += span * 0.08

  const x = (ms: number): number => PAD.left + ((ms - opts.from) / (opts.to - opts.from)) * plotW
  const y = (v: number): number => PAD.top + (1 - (v - yMin) / (yMax - yMin)) * plotH

  for (const line of lines) {
    const yy = y(line.value).toFixed(1)
    const colour = lineColour(line.band)
    svg.append(
      s('line', { class: 'sparkline-threshold', 'data-band': line.band, x1: PAD.left, x2: PAD.left + plotW, y1: yy, y2: yy, stroke: colour }),
      s('text', { class: 'sparkline-label', x: PAD.left + plotW + 3, y: Number(yy) + 3, fill: colour }, shortLabel(line.band))
    )
  }

  const sorted = [...inWindow].sort((a, b) => a.t - b.t)
  const coords = sorted.map(p => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
  const first = sorted[0]!
  const last = sorted[sorted.length - 1]!
  const baseline = (PAD.top + plotH).toFixed(1)
  svg.append(
    s('polygon', { class: 'sparkline-area', points: `${x(first.t).toFixed(1)},${baseline} ${coords.join(' ')} ${x(last.t).toFixed(1)},${baseline}` }),
    s('polyline', { class: 'sparkline-line', points: coords.join(' ') }),
    s('circle', {
      class: 'sparkline-last',
      cx: x(last.t).toFixed(1),
      cy: y(last.v).toFixed(1),
      r: 3.5,
      fill: STATUS_STYLE[opts.status].fill,
      stroke: STATUS_STYLE[opts.status].stroke
    })
  )
  svg.setAttribute('aria-label', t('popup.chartAria', { max: formatLevel(hi), min: formatLevel(lo) }))
  return svg
}
