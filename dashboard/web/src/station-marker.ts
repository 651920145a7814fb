import { fetchReadings } from './api.js'
import { formatLevel } from './format.js'
import { displayName, statusLabel, t } from './i18n.js'
import { STATUS_STYLE, severity } from './levels.js'
import { DAY_MS, type ChartState } from './popup.js'
import type { Point } from './sparkline.js'
import type { StationView } from './types.js'

/** one station on the map: its marker, popup and label nodes, and the popup chart's state */
export interface Entry {
  station: StationView
  marker: L.CircleMarker
  popupEl: HTMLDivElement
  /** the tooltip's content as a node: Leaflet renders a string tooltip as HTML, a node as is */
  labelEl: HTMLSpanElement
  /** 設定変更 for staff (one node per station, re-attached on every render) */
  downlinkEl: HTMLElement | null
  chart: ChartState
  /** bumps on each open so a slow fetch from an earlier open is ignored */
  loadSeq: number
  abort?: AbortController
}

/** 点検中 / 廃止 (fleet registry): alerts are suppressed or the gauge no longer reports */
function fleetNote (station: StationView): string {
  return station.state === 'maintenance' ? ` [${t('fleet.maintenance')}]` : station.state === 'retired' ? ` [${t('fleet.retired')}]` : ''
}

export function shortLabel (station: StationView): string {
  return (station.latest === null ? displayName(station) : `${displayName(station)}  ${formatLevel(station.latest.level)}`) + fleetNote(station)
}

function markerLabel (station: StationView): string {
  const level = station.latest === null ? '' : ` ${formatLevel(station.latest.level)}`
  return `${displayName(station)}: ${statusLabel(station.status)}${level}${fleetNote(station)}`
}

export function mergePoints (a: readonly Point[], b: readonly Point[], from: number): Point[] {
  const byTime = new Map<number, Point>()
  for (const p of [...a, ...b]) if (p.t >= from) byTime.set(p.t, p)
  return [...byTime.values()].sort((x, y) => x.t - y.t)
}

/** what tests, styles and screen readers read off the SVG path */
export function decorate (entry: Entry): void {
  const el = entry.marker.getElement()
  if (el === undefined) return
  const { station } = entry
  el.setAttribute('data-station-id', station.id)
  el.setAttribute('data-status', station.status)
  el.setAttribute('data-fleet-state', station.state ?? 'active')
  el.classList.toggle('is-maintenance', station.state === 'maintenance')
  el.setAttribute('role', 'button')
  el.setAttribute('tabindex', '0')
  el.setAttribute('aria-label', markerLabel(station))
  el.classList.toggle('is-alert', severity(station.status) >= 3)
}


/** colour, size and label from the station's band */
export function styleEntry (entry: Entry): void {
  const st = STATUS_STYLE[entry.station.status]
  entry.marker.setStyle({ fillColor: st.fill, color: st.stroke })
  entry.marker.setRadius(st.radius)
  entry.labelEl.textContent = shortLabel(entry.station)
  entry.marker.setTooltipContent(entry.labelEl)
  decorate(entry)
  // worse bands are drawn on top of calmer neighbours
  if (severity(entry.station.status) >= 2) entry.marker.bringToFront()
}


/** the popup's 24 h sparkline: one bounded fetch per open; `rerender` redraws the popup if still open */
export async function loadChart (entry: Entry, rerender: (entry: Entry) => void): Promise<void> {
  const seq = ++entry.loadSeq
  entry.abort?.abort()
  const abort = new AbortController()
  entry.abort = abort
  const to = new Date()
  const from = new Date(to.getTime() - DAY_MS)
  try {
    const res = await fetchReadings(entry.station.id, from, to, abort.signal)
    if (seq !== entry.loadSeq) return
    // a gap (欠測, level null) is not a point: the sparkline draws across it
    const fetched = res.readings.flatMap(r => r.level === null ? [] : [{ t: Date.parse(r.time), v: r.level }])
    // live readings that arrived while the request was in flight are kept
    const live = entry.chart.kind === 'ready' ? entry.chart.points : []
    entry.chart = { kind: 'ready', points: mergePoints(fetched, live, from.getTime()) }
  } catch (err) {
    if (seq !== entry.loadSeq || (err as Error).name === 'AbortError') return
    entry.chart = { kind: 'error' }
  }
  if (entry.marker.isPopupOpen()) rerender(entry)
}
