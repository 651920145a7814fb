import { h } from './dom.js'
import { formatDateTime, formatLevel, formatRateNumber } from './format.js'
import { displayName, statusLabel, t } from './i18n.js'
import type { CameraView, StationTrend, StationView } from './types.js'
import type { PrecisionRow } from './views-api.js'
import { formatDuration, tv, type ViewKey } from './views-i18n.js'

export type ShowOnMap = (kind: 'station' | 'camera', id: string) => void

export interface Row {
  station: StationView
  trend: StationTrend | undefined
}

/** per camera: hunters' precision and the time of the last sighting */
export interface CameraFigures {
  precision: Map<string, PrecisionRow>
  lastSighting: Map<string, string>
}

/** ▲ +0.42 / ▼ -0.10 / → 0.00, or 不明 while there is too little data for a trend (never "—", never -0.00) */
export function trendCell (rate: number | null): HTMLTableCellElement {
  if (rate === null) return h('td', { class: 'num', 'data-trend': 'unknown', title: tv('station.rateUnknownTitle') }, tv('table.trendUnknown'))
  const n = formatRateNumber(rate)
  const dir = n.startsWith('+') ? 'up' : n.startsWith('-') ? 'down' : 'flat'
  return h('td', { class: 'num', 'data-trend': dir }, `${dir === 'up' ? '▲' : dir === 'down' ? '▼' : '→'} ${n}`)
}

/** the last reading's arrival (not the gauge's rarer status message): see station-page lastReceived */
export function lastSeen (s: StationView): number {
  if (s.latest !== null) return Date.parse(s.latest.receivedAt)
  const d = s.device?.lastSeen
  return d != null ? Date.parse(d) : -Infinity
}

export function battery (s: StationView): number | null {
  return s.device?.batteryV ?? s.latest?.batteryV ?? null
}

/** what the search box matches: names in both languages, id and river, case- and width-insensitive */
export function haystack (s: StationView | CameraView): string {
  return [s.name, s.nameEn, s.id, 'river' in s ? s.river : ''].join(' ').normalize('NFKC').toLowerCase()
}

/** one station: name (to its page), river, level, band, trend, time to the next threshold, battery, last seen */
export function stationRow (r: Row, showOnMap: ShowOnMap): HTMLTableRowElement {
  const s = r.station
  const rate = r.trend?.rateMPerHour ?? null
  const history = h('a', { href: `#station=${encodeURIComponent(s.id)}`, class: 'table-link' }, tv('table.history'))
  const map = h('button', { type: 'button', class: 'link-button' }, tv('table.showMap'))
  map.addEventListener('click', () => { showOnMap('station', s.id) })
  const next = r.trend?.next === null ? tv('station.etaTop') : rate === null && r.trend?.next != null ? tv('table.trendUnknown') : r.trend?.hoursToNext == null ? '—' : `${t(`threshold.${r.trend.next!.key}` as 'threshold.standby')} ${formatDuration(r.trend.hoursToNext)}`
  const tr = h('tr', { 'data-station-id': s.id, 'data-status': s.status },
    h('th', { scope: 'row' }, h('a', { href: `#station=${encodeURIComponent(s.id)}` }, displayName(s))),
    h('td', {}, s.river),
    h('td', { class: 'num' }, s.latest === null ? '—' : formatLevel(s.latest.level)),
    h('td', {}, h('span', { class: 'chip', 'data-status': s.status }, statusLabel(s.status))),
    trendCell(rate),
    h('td', { class: 'num' }, next),
    h('td', { class: 'num' }, battery(s)?.toFixed(2) ?? '—'),
    h('td', {}, Number.isFinite(lastSeen(s)) ? formatDateTime(lastSeen(s)) : '—'),
    h('td', { class: 'actions' }, history, ' ', map)
  )
  return tr
}


/** a filter drop-down with 「すべて」 first */
export function filterSelect (label: ViewKey, id: string, options: Array<[string, string]>, current: string, on: (v: string) => void): HTMLElement {
  const sel = h('select', { id }, h('option', { value: '' }, tv('table.all')), ...options.map(([v, text]) => h('option', { value: v, selected: v === current }, text)))
  sel.addEventListener('change', () => { on(sel.value) })
  return h('label', { class: 'filter' }, tv(label), ' ', sel)
}


/** cameras with their last frame, last sighting and hunters' precision */
export function cameraTable (cameras: CameraView[], figures: CameraFigures, query: string, showOnMap: ShowOnMap): HTMLElement {
  const q = query.normalize('NFKC').toLowerCase().trim()
  const list = cameras.filter(c => q === '' || haystack(c).includes(q))
  return h('table', { class: 'data-table camera-table' },
    h('caption', {}, tv('table.cameras')),
    h('thead', {}, h('tr', {}, ...(['table.camera', 'table.lastFrame', 'table.lastSighting', 'table.precision'] as ViewKey[]).map(k => h('th', { scope: 'col' }, tv(k))), h('th', { scope: 'col' }, ''))),
    h('tbody', {}, ...list.map(c => {
      const p = figures.precision.get(c.id)
      const map = h('button', { type: 'button', class: 'link-button' }, tv('table.showMap'))
      map.addEventListener('click', () => { showOnMap('camera', c.id) })
      const seen = figures.lastSighting.get(c.id)
      return h('tr', { 'data-camera-id': c.id },
        h('th', { scope: 'row' }, displayName(c)),
        h('td', {}, c.latest === null ? '—' : formatDateTime(c.latest.time)),
        h('td', {}, seen === undefined ? '—' : formatDateTime(seen)),
        h('td', { class: 'num' }, p === undefined || p.precision === null ? '—' : tv('table.precisionValue', { p: Math.round(p.precision * 100), c: p.confirmed, n: p.confirmed + p.rejected })),
        h('td', { class: 'actions' }, map))
    })))
}
