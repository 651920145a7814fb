import { createAlertPanel, type AlertSubject } from './alerts.js'
import { fetchCameras, fetchMapSettings, fetchSightings, fetchStations } from './api.js'
import { addBaseLayer } from './basemap.js'
import { declutterLabels, keepPopupsVisible } from './map-fit.js'
import { addRivers } from './rivers.js'
import { createCameraLayer } from './cameras.js'
import { byId } from './dom.js'
import { formatLevel } from './format.js'
import { createHeader } from './header.js'
import { applyStatic, displayName, onLangChange, statusLabel, t } from './i18n.js'
import { addLegend } from './legend.js'
import { severity } from './levels.js'
import { connectLive } from './live.js'
import { createStationLayer } from './markers.js'
import { createPanel } from './panel.js'
import { createOfficialPanel } from './official-panel.js'
import { createOfficialLayer } from './official-layer.js'
import type { CameraView, MapSettings, StationView } from './types.js'
import { createViews } from './views.js'
import { renderAccount, requireSignIn } from './session.js'

const RETRY_MS = 5_000
const ANNOUNCE_MS = 15_000
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

  const map = L.map('map', { center: settings.center, zoom: settings.zoom, zoomControl: true, preferCanvas: false })
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map)
  const base = addBaseLayer(map, settings)
  const rivers = addRivers(map)
  keepPopupsVisible(map)
  declutterLabels(map)
  const legend = addLegend(map)
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
    subject (id): AlertSubject | undefined {
      const s = stationLayer.get(id)
      if (s !== undefined) return { type: 'station', id, name: s.name, nameEn: s.nameEn, lat: s.lat, lon: s.lon }
      const c = cameraLayer.all().find(cam => cam.id === id)
      return c === undefined ? undefined : { type: 'camera', id, name: c.name, nameEn: c.nameEn, lat: c.lat, lon: c.lon }
    },
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

  const announcer = byId('announcer')
  const announcerText = byId('announcer-text')
  const srAnnouncer = byId('sr-announcer')
  let announceTimer: ReturnType<typeof setTimeout> | undefined
  byId('announcer-close').addEventListener('click', () => { announcer.hidden = true })

  connectLive('/api/events', {
    reading (station) {
      applyStations([station])
      alertPanel.stationChanged(station.id)
      header.touched()
    },
    statusChange (change) {
      const station = stationLayer.get(change.stationId)
      panel.statusChange(change, station)
      const message = t('event.change', {
        name: station === undefined ? change.stationId : displayName(station),
        from: statusLabel(change.from),
        to: statusLabel(change.to),
        level: formatLevel(change.level)
      })
      announcerText.textContent = message
      // a live region that is always in the page, so screen readers hear each change
      srAnnouncer.textContent = message
      announcer.dataset.to = change.to
      announcer.dataset.direction = severity(change.to) > severity(change.from) ? 'up' : 'down'
      announcer.hidden = false
      clearTimeout(announceTimer)
      announceTimer = setTimeout(() => { announcer.hidden = true }, ANNOUNCE_MS)
      header.touched()
    },
    cameraImage (image) {
      if (cameraLayer.image(image) !== undefined) panel.cameras(cameraLayer.all())
      header.touched()
    },
    alert (event) {
      alertPanel.event(event)
      if (event.kind === 'wildlife') cameraLayer.alertState(event.subjectId, event.id, event.state)
      header.touched()
    },
    sighting (s) {
      cameraLayer.sighting(s)
      header.touched()
    },
    state (state) {
      header.live(state)
      // alerts raised between the first load and the stream opening would be missed: reload once live
      if (state === 'live' && !alertsLive) {
        alertsLive = true
        clearTimeout(alertsFallback)
        void alertPanel.load()
      }
    },
    fleetChange () {
      void Promise.all([fetchStations(), fetchCameras()]).then(([fresh, freshCameras]) => {
        applyStations(fresh)
        applyCameras(freshCameras)
      }, () => { /* the next event or reconnect tries again */ })
    },
    async resync () {
      try {
        const [fresh, freshCameras] = await Promise.all([fetchStations(), fetchCameras()])
        applyStations(fresh)
        applyCameras(freshCameras)
        await Promise.all([alertPanel.load(), loadSightings()])
        header.touched()
      } catch {
        // the next reconnect tries again
      }
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
