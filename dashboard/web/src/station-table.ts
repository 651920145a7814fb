import { byId, h } from './dom.js'
import { displayName, lang, statusLabel } from './i18n.js'
import { STATUS_ORDER, severity } from './levels.js'
import type { CameraView, StationStatus, StationTrend, StationView } from './types.js'
import { fetchPrecision, fetchRecentSightings, fetchTrends, type PrecisionRow } from './views-api.js'
import { tv, type ViewKey } from './views-i18n.js'
import { battery, cameraTable, filterSelect, haystack, lastSeen, stationRow, type Row } from './station-table-rows.js'

type SortKey = 'name' | 'river' | 'level' | 'band' | 'trend' | 'next' | 'battery' | 'lastSeen'

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
        filterSelect('table.river', 'table-river', rivers.map(r => [r, r]), filter.river, v => { filter.river = v; render() }),
        filterSelect('table.band', 'table-band', STATUS_ORDER.map((b: StationStatus) => [b, statusLabel(b)]), filter.band, v => { filter.band = v; render() }),
        h('span', { class: 'table-count', role: 'status' }, tv('table.count', { n: list.length, total: stations.length }))),
      h('table', { class: 'data-table station-table' },
        h('caption', {}, tv('table.stations')),
        header(),
        h('tbody', {}, ...list.map(r => stationRow(r, handlers.showOnMap)))),
      ...(cameras.length === 0 ? [] : [cameraTable(cameras, { precision, lastSighting }, filter.q, handlers.showOnMap)])
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
