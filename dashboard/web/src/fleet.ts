import { addBaseLayer } from './basemap.js'
import { startSignedInPage } from './page-start.js'
import { byId, h, setTexts } from './dom.js'
import { onLangChange } from './i18n.js'
import { tf } from './fleet-i18n.js'
import { fleetApi, loadProfiles, type DeviceProfile, type FleetCamera, type FleetStation } from './fleet-api.js'
import { createCommissionForm } from './fleet-form.js'
import { renderThresholds } from './fleet-thresholds.js'
import type { MapSettings } from './types.js'

/**
 * /fleet.html (staff and admin): commission gauges and cameras on the map, revise
 * thresholds (history visible), maintenance, retire. Hunters and researchers are
 * told they cannot use it (the API answers them 403). Every string goes in as text.
 */
const errorBox = byId('fleet-error')
let stations: FleetStation[] = []
let cameras: FleetCamera[] = []
let profiles: DeviceProfile[] = []
let selected: string | undefined
let layer: L.LayerGroup | undefined

function showError (err: unknown): void {
  errorBox.hidden = err === null
  errorBox.textContent = err === null ? '' : tf('error', { message: (err as Error).message })
}

async function setState (kind: 'gauge' | 'camera', id: string, state: 'active' | 'maintenance' | 'retired'): Promise<void> {
  if (state === 'retired' && !confirm(tf('confirmRetire', { id }))) return
  try {
    await fleetApi(`/api/fleet/${kind}/${encodeURIComponent(id)}/state`, { method: 'POST', body: { state } })
    showError(null)
  } catch (err) {
    showError(err)
  }
  await refresh()
}

function actions (kind: 'gauge' | 'camera', id: string, state: string): HTMLElement {
  const td = h('td', { class: 'fleet-actions' })
  const button = (label: string, action: string, fn: () => void): void => {
    const b = h('button', { type: 'button', 'data-action': action }, label)
    b.addEventListener('click', fn)
    td.append(b)
  }
  if (state === 'retired') return td
  if (kind === 'gauge') button(tf('editThresholds'), 'thresholds', () => { selected = id; void showThresholds() })
  if (state === 'active') button(tf('maintenance'), 'maintenance', () => { void setState(kind, id, 'maintenance') })
  else button(tf('activate'), 'activate', () => { void setState(kind, id, 'active') })
  button(tf('retire'), 'retire', () => { void setState(kind, id, 'retired') })
  return td
}

function renderTable (): void {
  const row = (kind: 'gauge' | 'camera', d: { id: string, name: string, lat: number, lon: number, state?: string }, what: string): HTMLTableRowElement => {
    const state = d.state ?? 'active'
    return h('tr', { 'data-id': d.id, 'data-state': state, class: `fleet-state-${state}` },
      h('td', {}, d.id), h('td', {}, d.name), h('td', {}, what), h('td', {}, `${d.lat.toFixed(4)}, ${d.lon.toFixed(4)}`),
      h('td', { class: 'fleet-state' }, tf(`state.${state as 'active'}`)), actions(kind, d.id, state))
  }
  byId('fleet-table').replaceChildren(
    h('thead', {}, h('tr', {}, ...(['id', 'name', 'kindCol', 'position', 'state'] as const).map(k => h('th', {}, tf(k))), h('th', {}))),
    h('tbody', {},
      ...stations.map(s => row('gauge', s, `${tf('kind.gauge')} · ${s.entry?.profile ?? ''}`)),
      ...cameras.map(c => row('camera', c, tf(c.trail === true ? 'kind.trail' : 'kind.camera')))))
}

async function showThresholds (): Promise<void> {
  const station = stations.find(s => s.id === selected)
  const section = byId('thresholds-section')
  section.hidden = station === undefined
  if (station === undefined) return
  try {
    await renderThresholds(byId('thresholds-panel'), station, () => { void refresh() })
  } catch (err) {
    showError(err)
  }
}

function drawDevices (map: L.Map): void {
  layer?.remove()
  layer = L.layerGroup().addTo(map)
  for (const d of [...stations, ...cameras]) {
    L.circleMarker([d.lat, d.lon], { radius: 6, color: d.state === 'retired' ? '#888' : d.state === 'maintenance' ? '#c77700' : '#1565c0' })
      .bindTooltip(h('span', {}, `${d.name} (${d.id})`)).addTo(layer)
  }
}

let map: L.Map | undefined
async function refresh (): Promise<void> {
  try {
    const r = await fleetApi<{ stations: FleetStation[], cameras: FleetCamera[] }>('/api/fleet')
    stations = r.stations
    cameras = r.cameras
    renderTable()
    if (map !== undefined) drawDevices(map)
    await showThresholds()
  } catch (err) {
    showError(err)
  }
}

function relabel (): void {
  setTexts({ 'fleet-title': tf('title'), 'commission-heading': tf('commission'), 'commission-hint': tf('hint'), 'devices-heading': tf('devices'), 'thresholds-heading': tf('thresholds') })
}

async function main (): Promise<void> {
  const me = await startSignedInPage()
  if (me === undefined) return
  relabel()
  if (me.role !== 'admin' && me.role !== 'staff') {
    showError(new Error(tf('forbidden', { role: me.role })))
    document.body.dataset.ready = 'forbidden'
    return
  }
  for (const id of ['commission-section', 'devices-section']) byId(id).hidden = false
  profiles = await loadProfiles()
  const settings = await fleetApi<MapSettings>('/api/map')
  map = L.map('fleet-map', { center: settings.center, zoom: settings.zoom })
  const base = addBaseLayer(map, settings)
  let pin: L.Marker | undefined
  const form = createCommissionForm(byId<HTMLFormElement>('commission-form'), byId('fleet-credentials'), () => profiles, () => { pin?.remove(); pin = undefined; void refresh() })
  form.render()
  const m = map
  map.on('click', ev => {
    pin?.remove()
    pin = L.marker(ev.latlng).addTo(m)
    form.setPosition(ev.latlng.lat, ev.latlng.lng)
  })
  onLangChange(() => { relabel(); base.relabel(); form.render(); renderTable(); void showThresholds() })
  await refresh()
  document.body.dataset.ready = 'true'
}

void main()
