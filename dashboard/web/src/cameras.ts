import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { displayName, t } from './i18n.js'
import type { CameraImageEvent, CameraView } from './types.js'

interface Entry {
  camera: CameraView
  marker: L.Marker
  popupEl: HTMLDivElement
}

export interface CameraLayer {
  upsert(camera: CameraView): void
  image(event: CameraImageEvent): CameraView | undefined
  all(): CameraView[]
  focus(id: string): void
  relabel(): void
}

const ICON_SIZE = 22

/** a camera glyph drawn in SVG so nothing is fetched */
const ICON_HTML = '<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">' +
  '<path fill="currentColor" d="M9 4 7.2 6H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2h-3.2L15 4H9zm3 4.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"/></svg>'

function label (camera: CameraView): string {
  return `${t('camera.label')}: ${displayName(camera)}`
}

function renderPopup (root: HTMLElement, camera: CameraView): void {
  root.className = 'camera-popup'
  root.dataset.cameraId = camera.id
  const latest = camera.latest
  root.replaceChildren(
    h('h2', { class: 'popup-name' }, displayName(camera)),
    latest === null
      ? h('p', { class: 'camera-empty' }, t('camera.noImage'))
      : h('figure', { class: 'camera-figure' },
        h('img', {
          class: 'camera-image',
          src: latest.imageUrl,
          width: latest.width,
          height: latest.height,
          alt: t('camera.imageAlt', { name: displayName(camera) }),
          decoding: 'async'
        }),
        h('figcaption', { class: 'camera-time' },
          `${t('camera.taken')} `,
          h('time', { datetime: latest.time }, formatDateTime(latest.time)))
      )
  )
}

/**
 * Field cameras as small square markers (`.camera-marker[data-camera-id]`)
 * whose popup shows the latest frame; a `cameraImage` event swaps it live.
 */
export function createCameraLayer (map: L.Map): CameraLayer {
  const entries = new Map<string, Entry>()

  function decorate (entry: Entry): void {
    const el = entry.marker.getElement()
    if (el === undefined) return
    el.setAttribute('data-camera-id', entry.camera.id)
    el.setAttribute('data-has-image', entry.camera.latest === null ? 'false' : 'true')
    el.setAttribute('role', 'button')
    el.setAttribute('aria-label', label(entry.camera))
    el.title = label(entry.camera)
  }

  function refresh (entry: Entry): void {
    decorate(entry)
    if (entry.marker.isPopupOpen()) {
      renderPopup(entry.popupEl, entry.camera)
      entry.marker.getPopup()?.update()
    }
  }

  function create (camera: CameraView): Entry {
    const icon = L.divIcon({
      className: 'camera-marker',
      html: ICON_HTML,
      iconSize: [ICON_SIZE, ICON_SIZE],
      iconAnchor: [ICON_SIZE / 2, ICON_SIZE / 2],
      popupAnchor: [0, -ICON_SIZE / 2]
    })
    // keyboard: Leaflet makes the icon focusable and opens the popup on Enter
    const marker = L.marker([camera.lat, camera.lon], { icon, keyboard: true, riseOnHover: true })
    const popupEl = document.createElement('div')
    const entry: Entry = { camera, marker, popupEl }
    marker.bindPopup(popupEl, { minWidth: 280, maxWidth: 360, className: 'camera-popup-wrap' })
    marker.on('add', () => { decorate(entry) })
    marker.on('popupopen', () => {
      renderPopup(popupEl, entry.camera)
      marker.getPopup()?.update()
      // the image size is known from the event, but update once more when it lands
      popupEl.querySelector('img')?.addEventListener('load', () => marker.getPopup()?.update(), { once: true })
    })
    marker.addTo(map)
    return entry
  }

  return {
    upsert (camera) {
      let entry = entries.get(camera.id)
      if (entry === undefined) {
        entry = create(camera)
        entries.set(camera.id, entry)
      }
      entry.camera = camera
      entry.marker.setLatLng([camera.lat, camera.lon])
      refresh(entry)
    },
    image (event) {
      const entry = entries.get(event.cameraId)
      if (entry === undefined) return undefined
      entry.camera = { ...entry.camera, latest: { time: event.time, width: event.width, height: event.height, imageUrl: event.imageUrl } }
      refresh(entry)
      return entry.camera
    },
    all () {
      return [...entries.values()].map(e => e.camera)
    },
    focus (id) {
      const entry = entries.get(id)
      if (entry === undefined) return
      map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 13))
      entry.marker.openPopup()
    },
    relabel () {
      for (const entry of entries.values()) refresh(entry)
    }
  }
}
