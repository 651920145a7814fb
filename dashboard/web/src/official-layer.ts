import { getJson } from './api.js'
import { addMapBox } from './map-fit.js'
import { h } from './dom.js'

/** what GET /api/official/state returns per (product, area) (official/state.ts AreaState, less its undo snapshot) */
interface KindState { code: string, name: string, status: string, since: number }
interface AreaState { product: string, areaCode: string, areaName: string, active: KindState[], level: number | null, phase: string, reportTime: number }
interface StateBody { attribution: string, areas: AreaState[] }
interface Reference { id: string, name: string, river: string, lat: number, lon: number }
interface ReferencesBody { attribution: string, references: Reference[] }

/** official/types.ts PRODUCT_NAMES_JA (the browser may not import official/) */
const PRODUCTS: Record<string, string> = {
  warning: '気象警報・注意報',
  flood: '指定河川洪水予報',
  landslide: '土砂災害警戒情報',
  recordRain: '記録的短時間大雨情報',
  specialNotice: '気象特別警報報知'
}
const REFRESH_MS = 60_000

const time = (ms: number): string => new Date(ms).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })

/** one row: level chip (guideline colour via style.css data-level), area/river name, product, kinds in force, 警戒レベルN相当 */
function row (a: AreaState): HTMLLIElement {
  const level = a.level ?? 0
  const kinds = a.active.map(k => k.name).filter(n => n !== '').join('・')
  return h('li', { class: 'official-map-area', 'data-area': a.areaCode, 'data-product': a.product, 'data-level': level },
    h('span', { class: 'official-chip', 'data-level': level, 'aria-hidden': 'true' }),
    h('strong', { class: 'official-map-name' }, a.areaName), ' ',
    h('span', { class: 'official-map-product' }, PRODUCTS[a.product] ?? a.product), ' ',
    h('span', { class: 'official-map-kinds' }, kinds === '' ? '解除・なし' : kinds), ' ',
    h('span', { class: 'official-map-level' }, level === 0 ? '' : `警戒レベル${level}相当`),
    h('span', { class: 'official-since' }, ` ${time(a.reportTime)}`))
}

/** MLIT reference gauge: a square 国 marker, drawn apart from our round station markers */
function referenceMarker (r: Reference): L.Marker {
  const icon = L.divIcon({ className: 'reference-marker', html: h('span', { class: 'reference-square', 'data-reference': r.id }, '国'), iconSize: [20, 20], iconAnchor: [10, 10] })
  const tip = h('span', {}, `${r.name}（${r.river}）参照: 国交省`)
  return L.marker([r.lat, r.lon], { icon, keyboard: false, title: `${r.name} 参照: 国交省` }).bindTooltip(tip)
}

/**
 * The JMA state on the staff map: area polygons are not bundled, so a panel control lists each area
 * and river with its current product and 警戒レベル相当 in the guideline colour, with 出典：気象庁;
 * MLIT reference gauges as square 国 markers. Text nodes only (names come from telegrams and config).
 */
export function createOfficialLayer (map: L.Map): { load(): Promise<void>, close(): void } {
  const list = h('ul', { id: 'official-map-list', class: 'official-map-list' })
  const source = h('p', { id: 'official-map-source', class: 'official-note' })
  const box = h('details', { id: 'official-map', class: 'map-legend official-map', hidden: true },
    h('summary', { class: 'legend-title' }, '気象庁の発表（現在）'), list, source)
  if (!window.matchMedia('(max-width: 640px)').matches) box.open = true
  addMapBox(map, box, 'topright')
  const refs = L.layerGroup().addTo(map)

  async function load (): Promise<void> {
    try {
      const body = await getJson<StateBody>('/api/official/state')
      const shown = body.areas.filter(a => a.level !== null || a.active.length > 0)
      // highest level first: what staff must see without scrolling
      shown.sort((x, y) => (y.level ?? 0) - (x.level ?? 0) || x.areaName.localeCompare(y.areaName, 'ja'))
      list.replaceChildren(...shown.map(row))
      source.textContent = body.attribution
      box.hidden = body.areas.length === 0
    } catch {
      // official information not followed, or not allowed for this role
    }
    try {
      const body = await getJson<ReferencesBody>('/api/official/references')
      refs.clearLayers()
      for (const r of body.references) referenceMarker(r).addTo(refs)
    } catch {
      // no reference gauges
    }
  }
  const timer = setInterval(() => { void load() }, REFRESH_MS)
  return { load, close () { clearInterval(timer) } }
}
