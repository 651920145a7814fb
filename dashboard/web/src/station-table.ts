import { byId, h } from './dom.js'
import { formatDateTime, formatLevel, formatRateNumber } from './format.js'
import { displayName, lang, statusLabel, t } from './i18n.js'
import { STATUS_ORDER, severity } from './levels.js'
import type { CameraView, StationStatus, StationTrend, StationView } from './types.js'
import { fetchPrecision, fetchRecentSightings, fetchTrends, type PrecisionRow } from './views-api.js'
import { formatDuration, tv, type ViewKey } from './views-i18n.js'

type SortKey = 'name' | 'river' | 'level' | 'band' | 'trend' | 'next' | 'battery' | 'lastSeen'

interface Row {
  station: StationView
  trend: StationTrend | undefined
}

const COLUMNS: Array<{ key: SortKey, label: ViewKey, numeric?: boolean }> = [
  { key: 'name', label: 'table.name' },
  { key: 'river', label: 'table.river' },
  { key: 'level', label: 'table.level', numeric: true },
  { key: 'band', label: 'table.band' },
  { key: 'trend', label: 'table.trend', numeric: true },
  { key: 'next', label: 'table.next', numeric: true },
  { key: 'battery', label: 'table.battery', numeric: true },
  { key: 'lastSeen', label: 'table.lastSeen' }
]

/** ▲ +0.42 / ▼ -0.10 / → 0.00, or 不明 while there is too little data for a trend (never "—", never -0.00) */
function trendCell (rate: number | null): HTMLTableCellElement {
  if (rate === null) return h('td', { class: 'num', 'data-trend': 'unknown', title: tv('station.rateUnknownTitle') }, tv('table.trendUnknown'))
  const n = formatRateNumber(rate)
  const dir = n.startsWith('+') ? 'up' : n.startsWith('-') ? 'down' : 'flat'
  return h('td', { class: 'num', 'data-trend': dir }, `${dir === 'up' ? '▲' : dir === 'down' ? '▼' : '→'} ${n}`)
}

/** the last reading's arrival (not the gauge's rarer status message): see station-page lastReceived */
function lastSeen (s: StationView): number {
  if (s.latest !== null) return Date.parse(s.latest.receivedAt)
  const d = s.device?.lastSeen
  return d != null ? Date.parse(d) : -Infinity
}

function battery (s: StationView): number | null {
  return s.device?.batteryV ?? s.latest?.batteryV ?? null
}

/** a sortable value per column; nulls sort last either way */
function value (r: Row, key: SortKey): string | number | null {
  switch (key) {
    case 'name': return displayName(r.station)
    case 'river': return r.station.river
    case 'level': return r.station.latest?.level ?? null
    case 'band': return severity(r.station.status)
    case 'trend': return r.trend?.rateMPerHour ?? null
    case 'next': return r.trend?.hoursToNext ?? null
    case 'battery': return battery(r.station)
    case 'lastSeen': return Number.isFinite(lastSeen(r.station)) ? lastSeen(r.station) : null
  }
}

/** what the search box matches: names in both languages, id and river, case- and width-insensitive */
function haystack (s: StationView | CameraView): string {
  return [s.name, s.nameEn, s.id, 'river' in s ? s.river : ''].join(' ').normalize('NFKC').toLowerCase()
}

export interface StationTable {
  open(stations: StationView[], cameras: CameraView[]): Promise<void>
  close(): void
  relabel(): void
}

/**
 * Every station in one sortable table (river, level, band, trend, time to the
 * next threshold, battery, last seen) with filters and a ja/en search; a row
 * opens its station page or the map. Cameras below with their last frame, last
 * sighting and hunters' precision.
 */
export function createStationTable (handlers: { showOnMap(kind: 'station' | 'camera', id: string): void }): StationTable {
  const root = byId('table-view')
  let stations: StationView[] = []
  let cameras: CameraView[] = []
  let trends = new Map<string, StationTrend>()
  let precision = new Map<string, PrecisionRow>()
  let lastSighting = new Map<string, string>()
  let sort: { key: SortKey, dir: 1 | -1 } = { key: 'band', dir: -1 }
  const filter = { river: '', band: '', q: '' }

  function rows (): Row[] {
    const q = filter.q.normalize('NFKC').toLowerCase().trim()
    const out = stations
      .filter(s => filter.river === '' || s.river === filter.river)
      .filter(s => filter.band === '' || s.status === filter.band)
      .filter(s => q === '' || haystack(s).includes(q))
      .map(s => ({ station: s, trend: trends.get(s.id) }))
    return out.sort((a, b) => {
      const va = value(a, sort.key)
      const vb = value(b, sort.key)
      if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1
      const c = typeof va === 'string' ? va.localeCompare(vb as string, lang()) : va - (vb as number)
      return c * sort.dir || a.station.id.localeCompare(b.station.id)
    })
  }

  function stationRow (r: Row): HTMLTableRowElement {
    const s = r.station
    const rate = r.trend?.rateMPerHour ?? null
    const history = h('a', { href: `#station=${encodeURIComponent(s.id)}`, class: 'table-link' }, tv('table.history'))
    const map = h('button', { type: 'button', class: 'link-button' }, tv('table.showMap'))
    map.addEventListener('click', () => { handlers.showOnMap('station', s.id) })
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

  function header (): HTMLTableSectionElement {
    return h('thead', {}, h('tr', {}, ...COLUMNS.map(c => {
      const sorted = sort.key === c.key
      const b = h('button', { type: 'button', class: 'sort', 'data-sort': c.key }, tv(c.label), h('span', { 'aria-hidden': 'true' }, sorted ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''))
      b.addEventListener('click', () => {
        sort = { key: c.key, dir: sorted ? (sort.dir === 1 ? -1 : 1) : c.numeric === true || c.key === 'band' ? -1 : 1 }
        render()
      })
      return h('th', { scope: 'col', 'aria-sort': sorted ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none', class: c.numeric === true ? 'num' : '' }, b)
    }), h('th', { scope: 'col' }, '')))
  }

  function select (label: ViewKey, id: string, options: Array<[string, string]>, current: string, on: (v: string) => void): HTMLElement {
    const sel = h('select', { id }, h('option', { value: '' }, tv('table.all')), ...options.map(([v, text]) => h('option', { value: v, selected: v === current }, text)))
    sel.addEventListener('change', () => { on(sel.value) })
    return h('label', { class: 'filter' }, tv(label), ' ', sel)
  }

  function cameraTable (): HTMLElement {
    const q = filter.q.normalize('NFKC').toLowerCase().trim()
    const list = cameras.filter(c => q === '' || haystack(c).includes(q))
    return h('table', { class: 'data-table camera-table' },
      h('caption', {}, tv('table.cameras')),
      h('thead', {}, h('tr', {}, ...(['table.camera', 'table.lastFrame', 'table.lastSighting', 'table.precision'] as ViewKey[]).map(k => h('th', { scope: 'col' }, tv(k))), h('th', { scope: 'col' }, ''))),
      h('tbody', {}, ...list.map(c => {
        const p = precision.get(c.id)
        const map = h('button', { type: 'button', class: 'link-button' }, tv('table.showMap'))
        map.addEventListener('click', () => { handlers.showOnMap('camera', c.id) })
        const seen = lastSighting.get(c.id)
        return h('tr', { 'data-camera-id': c.id },
          h('th', { scope: 'row' }, displayName(c)),
          h('td', {}, c.latest === null ? '—' : formatDateTime(c.latest.time)),
          h('td', {}, seen === undefined ? '—' : formatDateTime(seen)),
          h('td', { class: 'num' }, p === undefined || p.precision === null ? '—' : tv('table.precisionValue', { p: Math.round(p.precision * 100), c: p.confirmed, n: p.confirmed + p.rejected })),
          h('td', { class: 'actions' }, map))
      })))
  }

  function render (): void {
    const list = rows()
    const rivers = [...new Set(stations.map(s => s.river))].sort((a, b) => a.localeCompare(b, 'ja'))
    const search = h('input', { type: 'search', id: 'table-search', value: filter.q, placeholder: tv('table.search'), 'aria-label': tv('table.search') })
    search.addEventListener('input', () => {
      filter.q = search.value
      const pos = search.selectionStart
      render()
      const again = byId<HTMLInputElement>('table-search')
      again.focus()
      again.setSelectionRange(pos, pos)
    })
    root.replaceChildren(
      h('div', { class: 'table-filters' },
        h('label', { class: 'filter search' }, search),
        select('table.river', 'table-river', rivers.map(r => [r, r]), filter.river, v => { filter.river = v; render() }),
        select('table.band', 'table-band', STATUS_ORDER.map((b: StationStatus) => [b, statusLabel(b)]), filter.band, v => { filter.band = v; render() }),
        h('span', { class: 'table-count', role: 'status' }, tv('table.count', { n: list.length, total: stations.length }))),
      h('table', { class: 'data-table station-table' },
        h('caption', {}, tv('table.stations')),
        header(),
        h('tbody', {}, ...list.map(stationRow))),
      ...(cameras.length === 0 ? [] : [cameraTable()])
    )
  }

  return {
    async open (s, c) {
      stations = s
      cameras = c
      root.hidden = false
      render()
      // the figures that need the history: one request each, then the table redraws
      const [tr, pr, si] = await Promise.allSettled([fetchTrends(), fetchPrecision(), fetchRecentSightings()])
      if (tr.status === 'fulfilled') trends = new Map(tr.value.map(x => [x.stationId, x]))
      if (pr.status === 'fulfilled') precision = new Map(pr.value.cameras.map(x => [x.cameraId, x]))
      if (si.status === 'fulfilled') {
        lastSighting = new Map()
        for (const x of si.value) if (!lastSighting.has(x.cameraId)) lastSighting.set(x.cameraId, x.time)
      }
      if (!root.hidden) render()
      root.dataset.ready = 'true'
    },
    close () {
      root.hidden = true
      root.dataset.ready = 'false'
    },
    relabel () {
      if (!root.hidden) render()
    }
  }
}
