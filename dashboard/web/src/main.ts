import { createAlertPanel, type AlertSubject } from './alerts.js'
import { fetchCameras, fetchMapSettings, fetchSightings, fetchStations } from './api.js'
import { addBaseLayer } from './basemap.js'
import { declutterLabels, keepPopupsVisible } from './map-fit.js'
import { addRivers } from './rivers.js'
import { createCameraLayer, type CameraLayer } from './cameras.js'
import { byId } from './dom.js'
import { createHeader } from './header.js'
import { applyStatic, onLangChange, t } from './i18n.js'
import { addLegend } from './legend.js'
import { connectMapLive } from './map-live.js'
import { createStationLayer, type StationLayer } from './markers.js'
import { createPanel } from './panel.js'
import { createOfficialPanel } from './official-panel.js'
import { createOfficialLayer } from './official-layer.js'
import type { CameraView, MapSettings, StationView } from './types.js'
import { createViews } from './views.js'
import { renderAccount, requireSignIn } from './session.js'

const RETRY_MS = 5_000
/** how long the first alert list waits for the live stream before reading anyway */
const ALERTS_WAIT_MS = 3_000

function showError (message: string | null): void {
  const box = byId('app-error')
  box.hidden = message === null
  box.textContent = message ?? ''
}

async function loadSnapshot (): Promise<{ settings: MapSettings, stations: StationView[], cameras: CameraView[] }> {
  for (;;) {
    try {
      const [settings, stations, cameras] = await Promise.all([fetchMapSettings(), fetchStations(), fetchCameras()])
      showError(null)
      return { settings, stations, cameras }
    } catch {
      showError(t('error.load'))
      await new Promise(resolve => setTimeout(resolve, RETRY_MS))
    }
  }
}

/** the Leaflet map with its scale, base layer, rivers and legend */
function createMap (settings: MapSettings) {
  const map = L.map('map', { center: settings.center, zoom: settings.zoom, zoomControl: true, preferCanvas: false })
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map)
  const base = addBaseLayer(map, settings)
  const rivers = addRivers(map)
  keepPopupsVisible(map)
  declutterLabels(map)
  return { map, base, rivers, legend: addLegend(map) }
}

/** what an alert is about: a station or a camera, with its name and place */
function subjectOf (stations: StationLayer, cameras: CameraLayer, id: string): AlertSubject | undefined {
  const s = stations.get(id)
  if (s !== undefined) return { type: 'station', id, name: s.name, nameEn: s.nameEn, lat: s.lat, lon: s.lon }
  const c = cameras.all().find(cam => cam.id === id)
  return c === undefined ? undefined : { type: 'camera', id, name: c.name, nameEn: c.nameEn, lat: c.lat, lon: c.lon }
}

async function main (): Promise<void> {
  applyStatic()
  // every API below needs a session: the sign-in page first when there is none (dashboard/web/src/session.ts)
  const me = await requireSignIn()
  if (me === undefined) return
  if (me.role === 'hunter') {
    // hunters have their own page, with only their own areas
    location.assign('/hunter.html')
    return
  }
  renderAccount(me)
  const header = createHeader()
  if (typeof window.L === 'undefined') {
    showError(t('error.leaflet'))
    return
  }

  const { settings, stations, cameras } = await loadSnapshot()
  header.touched()

  const { map, base, rivers, legend } = createMap(settings)
  const stationLayer = createStationLayer(map)
  const cameraLayer = createCameraLayer(map)

  const panel = createPanel({
    selectStation (id) {
      stationLayer.focus(id)
      byId('map').scrollIntoView({ block: 'nearest', behavior: 'smooth' })
    },
    selectCamera (id) {
      cameraLayer.focus(id)
      byId('map').scrollIntoView({ block: 'nearest', behavior: 'smooth' })
    }
  })

  const alertPanel = createAlertPanel({
    map,
    subject: id => subjectOf(stationLayer, cameraLayer, id),
    select (subject) {
      if (subject.type === 'station') stationLayer.focus(subject.id)
      else cameraLayer.focus(subject.id)
    },
    currentLevel (id) {
      const s = stationLayer.get(id)
      return s === undefined ? undefined : s.latest
    }
  })

  function applyStations (list: StationView[]): void {
    for (const s of list) stationLayer.upsert(s)
    panel.stations(stationLayer.all())
    alertPanel.refresh()
  }
  function applyCameras (list: CameraView[]): void {
    for (const c of list) cameraLayer.upsert(c)
    panel.cameras(cameraLayer.all())
    alertPanel.refresh()
  }
  /** stations and cameras again (a fleet change or a gap in the stream) */
  async function refetch (): Promise<void> {
    const [fresh, freshCameras] = await Promise.all([fetchStations(), fetchCameras()])
    applyStations(fresh)
    applyCameras(freshCameras)
  }
  applyStations(stations)
  applyCameras(cameras)
  void createOfficialPanel().load()
  void createOfficialLayer(map).load()
  // one /api/alerts per load: the list is read once the live stream is open (nothing raised in
  // between is missed); a stream slower than this reads it anyway and again when it opens
  const alertsFallback = setTimeout(() => { void alertPanel.load() }, ALERTS_WAIT_MS)
  /** each camera's latest sighting (the list is newest first, so apply it oldest first) */
  async function loadSightings (): Promise<void> {
    try {
      for (const s of (await fetchSightings(200)).reverse()) cameraLayer.sighting(s)
    } catch {
      // wildlife API unavailable: cameras show their images only
    }
  }
  void loadSightings()
  let alertsLive = false

  connectMapLive({
    stationLayer, cameraLayer, panel, alertPanel, header, applyStations, refetch, loadSightings,
    // alerts raised between the first load and the stream opening would be missed: reload once live
    live () {
      if (alertsLive) return
      alertsLive = true
      clearTimeout(alertsFallback)
      void alertPanel.load()
    }
  })

  const views = createViews({
    stations: () => stationLayer.all(),
    cameras: () => cameraLayer.all(),
    showMap (focus) {
      map.invalidateSize()
      if (focus?.kind === 'station') stationLayer.focus(focus.id)
      else if (focus?.kind === 'camera') cameraLayer.focus(focus.id)
    }
  })

  onLangChange(() => {
    views.relabel()
    header.relabel()
    base.relabel()
    void rivers.then(r => { r.relabel() })
    legend.relabel()
    stationLayer.relabel()
    cameraLayer.relabel()
    panel.relabel()
    alertPanel.relabel()
  })
  document.body.dataset.ready = 'true'
}

void main()
