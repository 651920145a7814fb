import type { AlertPanel } from './alerts.js'
import type { CameraLayer } from './cameras.js'
import { createChangeAnnouncer } from './change-announcer.js'
import { connectLive, type LiveState } from './live.js'
import type { StationLayer } from './markers.js'
import type { Panel } from './panel.js'
import type { StationView } from './types.js'

export interface MapLiveDeps {
  stationLayer: StationLayer
  cameraLayer: CameraLayer
  panel: Panel
  alertPanel: AlertPanel
  header: { live(state: LiveState): void, touched(at?: Date): void }
  applyStations(list: StationView[]): void
  /** stations and cameras again from the API */
  refetch(): Promise<void>
  loadSightings(): Promise<void>
  /** the stream is open (each time it opens) */
  live(): void
}

/** The map page's live stream (/api/events): each event to the part of the page that shows it. */
export function connectMapLive ({ stationLayer, cameraLayer, panel, alertPanel, header, applyStations, refetch, loadSightings, live }: MapLiveDeps): void {
  const announce = createChangeAnnouncer()
  connectLive('/api/events', {
    reading (station) {
      applyStations([station])
      alertPanel.stationChanged(station.id)
      header.touched()
    },
    statusChange (change) {
      const station = stationLayer.get(change.stationId)
      panel.statusChange(change, station)
      announce(change, station)
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
      if (state === 'live') live()
    },
    fleetChange () {
      refetch().catch(() => { /* the next event or reconnect tries again */ })
    },
    async resync () {
      try {
        await refetch()
        await Promise.all([alertPanel.load(), loadSightings()])
        header.touched()
      } catch {
        // the next reconnect tries again
      }
    }
  })
}
