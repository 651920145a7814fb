import { h } from './dom.js'
import { lang } from './i18n.js'

interface RiverFeature {
  type: 'Feature'
  properties: { name: string, nameEn: string }
  geometry: { type: 'LineString', coordinates: Array<[number, number]> }
}

/**
 * The demo area's rivers from a small bundled GeoJSON (/rivers.geojson), drawn
 * under the markers whether or not tiles are configured: offline, the map is
 * not a bare grid, and a station reads as "on the 赤川". Names are text nodes.
 */
export async function addRivers (map: L.Map): Promise<{ relabel(): void }> {
  let features: RiverFeature[] = []
  try {
    const res = await fetch('/rivers.geojson')
    if (res.ok) features = ((await res.json()) as { features: RiverFeature[] }).features
  } catch {
    // no rivers: the grid and the markers still work
  }
  const pane = map.createPane('rivers')
  pane.style.zIndex = '300'
  pane.style.pointerEvents = 'none'
  const renderer = L.svg({ pane: 'rivers' })
  const labels: Array<{ el: HTMLElement, f: RiverFeature }> = []
  for (const f of features) {
    const line = L.polyline(f.geometry.coordinates.map(([lon, lat]) => [lat, lon] as [number, number]), { renderer, interactive: false, color: '#5b9bd5', weight: 4, opacity: 0.75, className: 'river-line' })
    line.addTo(map)
    const el = h('span', { class: 'river-name' })
    labels.push({ el, f })
    const mid = f.geometry.coordinates[Math.floor(f.geometry.coordinates.length / 2)]!
    L.tooltip({ permanent: true, direction: 'center', className: 'river-label', interactive: false, pane: 'rivers' }).setLatLng([mid[1], mid[0]]).setContent(el).addTo(map)
  }
  const relabel = (): void => {
    for (const { el, f } of labels) el.textContent = lang() === 'en' ? f.properties.nameEn : f.properties.name
  }
  relabel()
  return { relabel }
}
