import { escapeHtml, h } from './dom.js'
import { t } from './i18n.js'
import type { MapSettings } from './types.js'

/** grid spacings in degrees, coarse to fine */
const STEPS = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005]
/** aim for grid cells at least this many pixels wide */
const MIN_CELL_PX = 90

/**
 * A light lat/lon grid for the offline base: without tiles the map would be an
 * empty plane, and the grid gives pan/zoom something to move. Drawn in its own
 * pane below the markers; nothing is fetched.
 */
function addGraticule (map: L.Map): void {
  const pane = map.createPane('graticule')
  pane.style.zIndex = '250'
  pane.style.pointerEvents = 'none'
  const renderer = L.svg({ pane: 'graticule', padding: 0.5 })
  const group = L.layerGroup().addTo(map)

  function draw (): void {
    group.clearLayers()
    const bounds = map.getBounds().pad(0.5)
    const origin = map.latLngToContainerPoint(bounds.getSouthWest())
    const step = [...STEPS].reverse().find(d => {
      const p = map.latLngToContainerPoint([bounds.getSouth(), bounds.getWest() + d])
      return Math.abs(p.x - origin.x) >= MIN_CELL_PX
    }) ?? STEPS[0]!
    const style: L.PolylineOptions = { renderer, interactive: false, color: '#9fb4c4', weight: 1, opacity: 0.55, className: 'graticule-line' }
    const south = Math.floor(bounds.getSouth() / step) * step
    const west = Math.floor(bounds.getWest() / step) * step
    for (let lat = south; lat <= bounds.getNorth(); lat += step) {
      group.addLayer(L.polyline([[lat, bounds.getWest()], [lat, bounds.getEast()]], style))
    }
    for (let lon = west; lon <= bounds.getEast(); lon += step) {
      group.addLayer(L.polyline([[bounds.getSouth(), lon], [bounds.getNorth(), lon]], style))
    }
  }
  map.on('moveend zoomend resize', draw)
  draw()
}

/**
 * Online: the configured XYZ tiles (e.g. 地理院タイル). Offline (empty
 * tileUrl): a plain background, a grid and a note; no tile URL is requested.
 */
export function addBaseLayer (map: L.Map, settings: MapSettings): { relabel(): void } {
  if (settings.tileUrl.trim() !== '') {
    // Leaflet writes the attribution as HTML: the configured text is shown as text
    L.tileLayer(settings.tileUrl, { attribution: escapeHtml(settings.tileAttribution), maxZoom: 18, crossOrigin: false }).addTo(map)
    return { relabel () {} }
  }
  map.getContainer().classList.add('map-offline')
  addGraticule(map)
  const note = h('div', { id: 'offline-note', class: 'offline-note', role: 'note' })
  const control = new L.Control({ position: 'bottomleft' })
  control.onAdd = () => note
  control.addTo(map)
  const relabel = (): void => { note.textContent = t('offline.note') }
  relabel()
  return { relabel }
}
