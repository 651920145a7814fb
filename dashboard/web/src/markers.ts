import { createDownlinkForm } from './downlink-form.js'
import { focusMarker } from './map-fit.js'
import { displayName } from './i18n.js'
import { STATUS_STYLE } from './levels.js'
import { DAY_MS, renderStationPopup } from './popup.js'
import type { StationView } from './types.js'
import { decorate, loadChart, mergePoints, shortLabel, styleEntry, type Entry } from './station-marker.js'
import { getOrCreate } from './keyed.js'

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

/** px from the top of the map that the alert banner covers (24 when none is shown) */
function popupTopInset (map: L.Map): number {
  const banner = document.getElementById('alert-banner')
  if (banner === null || banner.hidden) return 24
  return Math.max(24, Math.round(banner.getBoundingClientRect().bottom - map.getContainer().getBoundingClientRect().top + 12))
}

/**
 * Circle markers coloured by MLIT band. The SVG path of each carries
 * class `station-marker`, `data-station-id` and `data-status`, kept current on
 * every live reading, so tests and styles can find them.
 */
export function createStationLayer (map: L.Map): StationLayer {
  const entries = new Map<string, Entry>()
  // labels sit under the markers (overlayPane is 400) so a label never hides a gauge
  const labelPane = map.createPane('stationLabels')
  labelPane.style.zIndex = '390'
  labelPane.style.pointerEvents = 'none'
  const toggleLabels = (): void => { map.getContainer().classList.toggle('labels-hidden', map.getZoom() < LABEL_MIN_ZOOM) }
  map.on('zoomend', toggleLabels)
  toggleLabels()

  function renderPopup (entry: Entry): void {
    renderStationPopup(entry.popupEl, entry.station, entry.chart)
    if (entry.downlinkEl !== null) entry.popupEl.append(entry.downlinkEl)
    const popup = entry.marker.getPopup()
    if (popup === undefined) return
    // update() pans the grown popup into view; below the alert banner while one is shown
    popup.options.autoPanPaddingTopLeft = L.point(56, popupTopInset(map))
    popup.update()
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
      void loadChart(entry, renderPopup)
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
      const entry = getOrCreate(entries, station.id, () => create(station))
      const moved = entry.station.lat !== station.lat || entry.station.lon !== station.lon
      // live reading events carry no device status: keep the one from the snapshot
      entry.station = station.device === undefined && entry.station.device !== undefined ? { ...station, device: entry.station.device } : station
      if (moved) entry.marker.setLatLng([station.lat, station.lon])
      styleEntry(entry)
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
    focus (id) { focusMarker(map, entries.get(id)?.marker) },
    relabel () {
      for (const entry of entries.values()) {
        styleEntry(entry)
        if (entry.marker.isPopupOpen()) renderPopup(entry)
      }
    }
  }
}
