import { byId, h } from './dom.js'
import type { CameraView, StationView } from './types.js'
import { createExportView } from './export-view.js'
import { createStationPage, type StationPage } from './station-page.js'
import { createStationTable } from './station-table.js'
import { tv, type ViewKey } from './views-i18n.js'

export interface ViewDeps {
  stations(): StationView[]
  cameras(): CameraView[]
  /** back on the map: Leaflet must measure its box again, then centre the item */
  showMap(focus?: { kind: 'station' | 'camera', id: string }): void
}

export interface Views {
  relabel(): void
  readonly station: StationPage
}

type Route = { view: 'map' } | { view: 'table' } | { view: 'export', preselect?: string } | { view: 'station', id: string }

function parse (hash: string): Route {
  const h = decodeURIComponent(hash.replace(/^#/, ''))
  if (h.startsWith('station=')) return { view: 'station', id: h.slice(8) }
  if (h === 'table') return { view: 'table' }
  if (h === 'export') return { view: 'export' }
  if (h.startsWith('export=')) return { view: 'export', preselect: h.slice(7) }
  return { view: 'map' }
}

/**
 * Map, table, export and station page as hash routes (#table, #export,
 * #station=<id>): linkable, the browser's back button works, and the map's
 * DOM stays alive underneath (hidden) so returning costs nothing.
 */
export function createViews (deps: ViewDeps): Views {
  const layout = document.querySelector<HTMLElement>('main.layout')!
  const station = createStationPage()
  const table = createStationTable({
    showOnMap (kind, id) {
      location.hash = '#map'
      deps.showMap({ kind, id })
    }
  })
  const exporter = createExportView()
  const nav = byId('view-nav')
  const links: Array<{ route: string, key: ViewKey }> = [{ route: 'map', key: 'nav.map' }, { route: 'table', key: 'nav.table' }, { route: 'export', key: 'nav.export' }]
  function renderNav (current: Route['view']): void {
    nav.setAttribute('aria-label', tv('nav.label'))
    nav.replaceChildren(...links.map(l => h('a', { href: `#${l.route}`, 'data-view': l.route, 'aria-current': current === l.route ? 'page' : null }, tv(l.key))))
  }
  let current: Route = { view: 'map' }

  function apply (): void {
    const next = parse(location.hash)
    if (current.view === 'station' && next.view !== 'station') station.close()
    if (current.view === 'table' && next.view !== 'table') table.close()
    if (current.view === 'export' && next.view !== 'export') exporter.close()
    layout.hidden = next.view !== 'map'
    document.body.dataset.view = next.view
    renderNav(next.view)
    if (next.view === 'map' && current.view !== 'map') deps.showMap()
    if (next.view === 'table') void table.open(deps.stations(), deps.cameras())
    if (next.view === 'export') exporter.open(deps.stations(), deps.cameras(), next.preselect)
    if (next.view === 'station' && (current.view !== 'station' || current.id !== next.id)) void station.open(next.id)
    current = next
  }
  window.addEventListener('hashchange', apply)
  apply()
  return {
    station,
    relabel () {
      renderNav(current.view)
      station.relabel()
      table.relabel()
      exporter.relabel()
    }
  }
}
