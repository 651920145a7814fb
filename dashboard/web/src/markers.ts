import { fetchReadings } from './api.js'
import { createDownlinkForm } from './downlink-form.js'
import { formatLevel } from './format.js'
import { displayName, statusLabel, t } from './i18n.js'
import { STATUS_STYLE, severity } from './levels.js'
import { DAY_MS, renderStationPopup, type ChartState } from './popup.js'
import type { Point } from './sparkline.js'
import type { StationView } from './types.js'

interface Entry {
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

export interface StationLayer {
  upsert(station: StationView): void
  get(id: string): StationView | undefined
  all(): StationView[]
  /** pan to the station and open its popup */
  focus(id: string): void
  /** re-render texts after a language switch */
  relabel(): void
}

/** up to this many stations carry a permanent name + level label; more would clutter the map */
const MAX_PERMANENT_LABELS = 30
/** below this zoom the labels would pile up */
const LABEL_MIN_ZOOM = 11

/** 点検中 / 廃止 (fleet registry): alerts are suppressed or the gauge no longer reports */
function fleetNote (station: StationView): string {
  return station.state === 'maintenance' ? ` [${t('fleet.maintenance')}]` : station.state === 'retired' ? ` [${t('fleet.retired')}]` : ''
}

function shortLabel (station: StationView): string {
  return (station.latest === null ? displayName(station) : `${displayName(station)}  ${formatLevel(station.latest.level)}`) + fleetNote(station)
}

function markerLabel (station: StationView): string {
  const level = station.latest === null ? '' : ` ${formatLevel(station.latest.level)}`
  return `${displayName(station)}: ${statusLabel(station.status)}${level}${fleetNote(station)}`
}

function mergePoints (a: readonly Point[], b: readonly Point[], from: number): Point[] {
  const byTime = new Map<number, Point>()
  for (const p of [...a, ...b]) if (p.t >= from) byTime.set(p.t, p)
  return [...byTime.values()].sort((x, y) => x.t - y.t)
}

/**
 * Circle markers coloured by MLIT band. The SVG path of each carries
 * class `station-marker`, `data-station-id` and `data-status`, kept current on
 * every live reading, so tests and styles can find them.
 */
/** px from the top of the map that the alert banner covers (24 when none is shown) */
function popupTopInset (map: L.Map): number {
  const banner = document.getElementById('alert-banner')
  if (banner === null || banner.hidden) return 24
  return Math.max(24, Math.round(banner.getBoundingClientRect().bottom - map.getContainer().getBoundingClientRect().top + 12))
}

export function createStationLayer (map: L.Map): StationLayer {
  const entries = new Map<string, Entry>()
  // labels sit under the markers (overlayPane is 400) so a label never hides a gauge
  const labelPane = map.createPane('stationLabels')
  labelPane.style.zIndex = '390'
  labelPane.style.pointerEvents = 'none'
  const toggleLabels = (): void => { map.getContainer().classList.toggle('labels-hidden', map.getZoom() < LABEL_MIN_ZOOM) }
  map.on('zoomend', toggleLabels)
  toggleLabels()

  function decorate (entry: Entry): void {
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

  function style (entry: Entry): void {
    const st = STATUS_STYLE[entry.station.status]
    entry.marker.setStyle({ fillColor: st.fill, color: st.stroke })
    entry.marker.setRadius(st.radius)
    entry.labelEl.textContent = shortLabel(entry.station)
    entry.marker.setTooltipContent(entry.labelEl)
    decorate(entry)
    // worse bands are drawn on top of calmer neighbours
    if (severity(entry.station.status) >= 2) entry.marker.bringToFront()
  }

  function renderPopup (entry: Entry): void {
    renderStationPopup(entry.popupEl, entry.station, entry.chart)
    if (entry.downlinkEl !== null) entry.popupEl.append(entry.downlinkEl)
    const popup = entry.marker.getPopup()
    if (popup === undefined) return
    // update() pans the grown popup into view; below the alert banner while one is shown
    popup.options.autoPanPaddingTopLeft = L.point(56, popupTopInset(map))
    popup.update()
  }

  async function loadChart (entry: Entry): Promise<void> {
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
    if (entry.marker.isPopupOpen()) renderPopup(entry)
  }

  function create (station: StationView): Entry {
    const st = STATUS_STYLE[station.status]
    const marker = L.circleMarker([station.lat, station.lon], {
      className: 'station-marker',
      radius: st.radius,
      color: st.stroke,
      weight: 2,
      opacity: 1,
      fillColor: st.fill,
      fillOpacity: 0.95,
      bubblingMouseEvents: false
    })
    const popupEl = document.createElement('div')
    const labelEl = document.createElement('span')
    labelEl.textContent = shortLabel(station)
    const entry: Entry = { station, marker, popupEl, labelEl, downlinkEl: null, chart: { kind: 'loading' }, loadSeq: 0 }
    entry.downlinkEl = createDownlinkForm(station.id, () => displayName(entry.station))
    marker.bindPopup(popupEl, { minWidth: 260, maxWidth: 320, autoPanPaddingTopLeft: [56, 24], autoPanPaddingBottomRight: [24, 24], className: 'station-popup-wrap' })
    const permanent = entries.size < MAX_PERMANENT_LABELS
    marker.bindTooltip(labelEl, permanent
      ? { permanent: true, direction: 'right', offset: [12, 0], className: 'station-label', interactive: false, pane: 'stationLabels' }
      : { direction: 'top', offset: [0, -8], className: 'station-label' })
    marker.on('add', () => { decorate(entry) })
    marker.on('popupopen', () => {
      entry.chart = { kind: 'loading' }
      renderPopup(entry)
      void loadChart(entry)
    })
    marker.on('popupclose', () => {
      entry.abort?.abort()
      entry.loadSeq++
      // give keyboard users their place back
      const el = marker.getElement()
      if (el instanceof SVGElement && document.activeElement === document.body) el.focus({ preventScroll: true })
    })
    marker.addTo(map)
    const el = marker.getElement()
    el?.addEventListener('keydown', (ev: Event) => {
      const key = (ev as KeyboardEvent).key
      if (key === 'Enter' || key === ' ') {
        ev.preventDefault()
        marker.openPopup()
      }
    })
    return entry
  }

  return {
    upsert (station) {
      let entry = entries.get(station.id)
      if (entry === undefined) {
        entry = create(station)
        entries.set(station.id, entry)
      }
      const moved = entry.station.lat !== station.lat || entry.station.lon !== station.lon
      // live reading events carry no device status: keep the one from the snapshot
      entry.station = station.device === undefined && entry.station.device !== undefined ? { ...station, device: entry.station.device } : station
      if (moved) entry.marker.setLatLng([station.lat, station.lon])
      style(entry)
      if (entry.marker.isPopupOpen()) {
        if (entry.chart.kind === 'ready' && station.latest !== null) {
          const point = { t: Date.parse(station.latest.time), v: station.latest.level }
          entry.chart = { kind: 'ready', points: mergePoints(entry.chart.points, [point], Date.now() - DAY_MS) }
        }
        renderPopup(entry)
      }
    },
    get (id) {
      return entries.get(id)?.station
    },
    all () {
      return [...entries.values()].map(e => e.station)
    },
    focus (id) {
      const entry = entries.get(id)
      if (entry === undefined) return
      map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 13))
      entry.marker.openPopup()
    },
    relabel () {
      for (const entry of entries.values()) {
        style(entry)
        if (entry.marker.isPopupOpen()) renderPopup(entry)
      }
    }
  }
}
