import { fetchMapSettings } from './api.js'
import { addBaseLayer } from './basemap.js'
import { h } from './dom.js'
import { lang } from './i18n.js'
import { addRivers } from './rivers.js'
import type { MapSettings } from './types.js'

/** Leaflet is loaded on demand on the hunter page (the list works without it) */
export async function loadLeaflet (): Promise<boolean> {
  if (typeof (globalThis as { L?: unknown }).L !== 'undefined') return true
  document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/leaflet/leaflet.css' }))
  return await new Promise(resolve => {
    const script = h('script', { src: '/vendor/leaflet/leaflet.js' })
    script.addEventListener('load', () => { resolve(true) })
    script.addEventListener('error', () => { resolve(false) })
    document.head.append(script)
  })
}

/** 北緯 38.7200° 東経 139.8300° — where it is, readable with no map at all */
export function coordsText (lat: number, lon: number): string {
  const la = `${Math.abs(lat).toFixed(4)}°`
  const lo = `${Math.abs(lon).toFixed(4)}°`
  return lang() === 'en'
    ? `${la} ${lat >= 0 ? 'N' : 'S'}, ${lo} ${lon >= 0 ? 'E' : 'W'}`
    : `${lat >= 0 ? '北緯' : '南緯'} ${la}　${lon >= 0 ? '東経' : '西経'} ${lo}`
}

let settings: Promise<MapSettings | undefined> | undefined

/**
 * A map with the same base as the staff map: the configured tiles, or offline
 * (no tiles) the grid and the bundled rivers — never an empty grey box. Returns
 * undefined when Leaflet cannot load; the caller keeps its text placeholder.
 */
export async function createBaseMap (el: HTMLElement, center: [number, number], zoom: number): Promise<L.Map | undefined> {
  if (!await loadLeaflet()) return undefined
  settings ??= fetchMapSettings().catch(() => undefined)
  const s = await settings ?? { center, zoom, tileUrl: '', tileAttribution: '' }
  const map = L.map(el, { zoomControl: true, attributionControl: s.tileUrl !== '' }).setView(center, zoom)
  addBaseLayer(map, s)
  void addRivers(map)
  el.dataset.base = s.tileUrl === '' ? 'offline' : 'tiles'
  return map
}
