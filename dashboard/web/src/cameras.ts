import { h } from './dom.js'
import { focusMarker } from './map-fit.js'
import { formatDateTime } from './format.js'
import { displayName, t } from './i18n.js'
import type { CameraImageEvent, CameraView, SightingView } from './types.js'
import { getOrCreate } from './keyed.js'

interface Entry {
  camera: CameraView
  marker: L.Marker
  popupEl: HTMLDivElement
  /** the camera's latest monkey sighting */
  sighting: SightingView | null
}

/** 'active': its alert is still open; 'past': an older sighting; 'none' */
export type SightingState = 'active' | 'past' | 'none'

export interface CameraLayer {
  upsert(camera: CameraView): void
  image(event: CameraImageEvent): CameraView | undefined
  /** a sighting (snapshot or SSE `sighting`); older ones than the shown one are ignored */
  sighting(s: SightingView): void
  /** an alert of a camera changed state (SSE `alert`, kind wildlife) */
  alertState(cameraId: string, alertId: string, state: NonNullable<SightingView['alert']>['state']): void
  all(): CameraView[]
  focus(id: string): void
  relabel(): void
}

const ICON_SIZE = 22

/** a monkey face for cameras with a sighting, also SVG */
const MONKEY_HTML = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">' +
  '<circle cx="4.5" cy="11" r="3" fill="currentColor"/><circle cx="19.5" cy="11" r="3" fill="currentColor"/>' +
  '<circle cx="12" cy="12" r="8" fill="currentColor"/>' +
  '<ellipse cx="12" cy="14.5" rx="5" ry="4" fill="#f6c9a8"/><circle cx="9.3" cy="10" r="1.3" fill="#1b2430"/><circle cx="14.7" cy="10" r="1.3" fill="#1b2430"/>' +
  '<path d="M10 16.2q2 1.3 4 0" stroke="#1b2430" stroke-width="1.1" fill="none" stroke-linecap="round"/></svg>'

function sightingState (s: SightingView | null): SightingState {
  if (s === null) return 'none'
  const open = s.alert !== null && s.alert.state !== 'resolved'
  return open ? 'active' : 'past'
}

/** a camera glyph drawn in SVG so nothing is fetched */
const ICON_HTML = '<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">' +
  '<path fill="currentColor" d="M9 4 7.2 6H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2h-3.2L15 4H9zm3 4.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"/></svg>'

function label (camera: CameraView): string {
  return `${t('camera.label')}: ${displayName(camera)}`
}

function renderSighting (camera: CameraView, s: SightingView): HTMLElement {
  const state = sightingState(s)
  return h('section', { class: 'camera-sighting', 'data-state': state, 'data-sighting-id': s.id },
    h('h3', { class: 'camera-sighting-title' }, h('span', { class: 'camera-sighting-icon', 'aria-hidden': 'true' }, '🐒'), ` ${t('camera.sighting')}`),
    h('p', { class: 'camera-sighting-meta' },
      h('time', { datetime: s.time }, formatDateTime(s.time)),
      ' · ',
      h('span', { class: 'camera-sighting-score' }, `${t('camera.score')} ${s.bestScore.toFixed(2)}`),
      ` (${s.label}, ${t('camera.frames', { p: s.positives, n: s.frames })})`),
    s.thumbnailUrl === null
      ? null
      : h('img', { class: 'camera-sighting-thumb', src: s.thumbnailUrl, alt: t('camera.thumbAlt', { name: displayName(camera) }), decoding: 'async' }),
    h('p', { class: 'camera-sighting-alert' },
      s.suppressed || s.alert === null
        ? t('camera.suppressed')
        : `${t('camera.alertState')}: ${t(`alertState.${s.alert.state}`)}`),
    s.alertId === null
      ? null
      : h('a', { class: 'camera-sighting-feedback', href: `/hunter.html?alert=${encodeURIComponent(s.alertId)}` }, t('camera.feedbackLink'))
  )
}

function renderPopup (root: HTMLElement, camera: CameraView, sighting: SightingView | null): void {
  root.className = 'camera-popup'
  root.dataset.cameraId = camera.id
  const latest = camera.latest
  const parts: Array<HTMLElement | null> = [
    h('h2', { class: 'popup-name' }, displayName(camera)),
    sighting === null ? null : renderSighting(camera, sighting),
    latest === null
      ? (sighting === null ? h('p', { class: 'camera-empty' }, t('camera.noImage')) : null)
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
  ]
  root.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null))
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
    el.setAttribute('data-has-image', entry.camera.latest === null && entry.sighting === null ? 'false' : 'true')
    const state = sightingState(entry.sighting)
    el.setAttribute('data-sighting', state)
    if (state !== 'none' && el.dataset.glyph !== 'monkey') {
      el.innerHTML = MONKEY_HTML
      el.dataset.glyph = 'monkey'
    }
    el.setAttribute('role', 'button')
    const text = state === 'active' ? t('camera.sightingAt', { name: label(entry.camera) }) : label(entry.camera)
    el.setAttribute('aria-label', text)
    el.title = text
  }

  function refresh (entry: Entry): void {
    decorate(entry)
    if (entry.marker.isPopupOpen()) {
      renderPopup(entry.popupEl, entry.camera, entry.sighting)
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
    const entry: Entry = { camera, marker, popupEl, sighting: null }
    marker.bindPopup(popupEl, { minWidth: 280, maxWidth: 360, className: 'camera-popup-wrap' })
    marker.on('add', () => { decorate(entry) })
    marker.on('popupopen', () => {
      renderPopup(popupEl, entry.camera, entry.sighting)
      marker.getPopup()?.update()
      for (const img of popupEl.querySelectorAll('img')) img.addEventListener('load', () => marker.getPopup()?.update(), { once: true })
      // the image size is known from the event, but update once more when it lands
      popupEl.querySelector('img')?.addEventListener('load', () => marker.getPopup()?.update(), { once: true })
    })
    marker.addTo(map)
    return entry
  }

  return {
    upsert (camera) {
      const entry = getOrCreate(entries, camera.id, () => create(camera))
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
    sighting (s) {
      const entry = entries.get(s.cameraId)
      if (entry === undefined) return
      if (entry.sighting !== null && entry.sighting.id !== s.id && Date.parse(entry.sighting.time) > Date.parse(s.time)) return
      // a suppressed sighting (same troop, within the cooldown) keeps the open alert it belongs to
      const keep = s.suppressed && entry.sighting !== null && entry.sighting.alert !== null ? { alert: entry.sighting.alert, alertId: entry.sighting.alertId } : {}
      entry.sighting = { ...s, ...keep }
      refresh(entry)
    },
    alertState (cameraId, alertId, state) {
      const entry = entries.get(cameraId)
      if (entry?.sighting?.alert == null || entry.sighting.alertId !== alertId) return
      entry.sighting = { ...entry.sighting, alert: { ...entry.sighting.alert, state } }
      refresh(entry)
    },
    all () {
      return [...entries.values()].map(e => e.camera)
    },
    focus (id) { focusMarker(map, entries.get(id)?.marker) },
    relabel () {
      for (const entry of entries.values()) refresh(entry)
    }
  }
}
