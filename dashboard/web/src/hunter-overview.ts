import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { displayName } from './i18n.js'
import { coordsText, createBaseMap } from './hunter-map.js'
import { tn } from './notify-i18n.js'
import type { SightingView } from './types.js'

/**
 * 地図 on the hunter page: the hunter's own sightings on a map of their own
 * (the staff map at / is not theirs: it sends hunters back here). Same base as
 * the staff map — tiles when configured, else the grid and the bundled rivers.
 * Opened from the header button; `show()` keeps the markers in step with the list.
 */
export function createHunterMap (section: HTMLElement, toggle: HTMLButtonElement): { show(sightings: SightingView[]): void } {
  const box = h('div', { class: 'hunter-map', id: 'hunter-map', role: 'region', 'aria-label': tn('map.title') })
  const note = h('p', { class: 'hunter-map-note', role: 'status' })
  section.replaceChildren(h('h2', { class: 'panel-heading' }, tn('map.title')), box, note)
  let map: L.Map | undefined
  let layer: L.LayerGroup | undefined
  let latest: SightingView[] = []
  let opening: Promise<void> | undefined

  const draw = (): void => {
    if (map === undefined || layer === undefined) return
    layer.clearLayers()
    const points: Array<[number, number]> = []
    for (const s of latest) {
      const name = s.camera == null ? s.cameraId : displayName(s.camera)
      const popup = h('div', { class: 'hunter-map-popup' },
        h('strong', {}, name), h('br'), formatDateTime(s.time), h('br'), coordsText(s.lat, s.lon), h('br'),
        h('a', { href: `/hunter.html?alert=${encodeURIComponent(s.alertId ?? '')}&sighting=${encodeURIComponent(s.id)}` }, tn('sighting.title', { name })))
      L.marker([s.lat, s.lon], { title: name, alt: name }).bindPopup(popup).addTo(layer)
      points.push([s.lat, s.lon])
    }
    note.textContent = points.length === 0 ? tn('map.none') : ''
    if (points.length > 0) map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 15 })
  }

  const open = async (): Promise<void> => {
    section.hidden = false
    toggle.setAttribute('aria-expanded', 'true')
    toggle.textContent = tn('map.hide')
    if (map === undefined) {
      const first = latest[0]
      opening ??= (async () => {
        map = await createBaseMap(box, first === undefined ? [38.73, 139.83] : [first.lat, first.lon], 13)
        if (map === undefined) { note.textContent = tn('map.unavailable'); return }
        layer = L.layerGroup().addTo(map)
        section.dataset.ready = 'true'
      })()
      await opening
    }
    map?.invalidateSize()
    draw()
    section.scrollIntoView({ block: 'start' })
  }
  const close = (): void => {
    section.hidden = true
    toggle.setAttribute('aria-expanded', 'false')
    toggle.textContent = tn('map.show')
  }
  toggle.textContent = tn('map.show')
  toggle.setAttribute('aria-controls', section.id)
  toggle.setAttribute('aria-expanded', 'false')
  toggle.addEventListener('click', () => { if (section.hidden) void open(); else close() })
  if (location.hash === '#map') void open()
  return {
    show (sightings) {
      latest = sightings
      if (!section.hidden) draw()
    }
  }
}
