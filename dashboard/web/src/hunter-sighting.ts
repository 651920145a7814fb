import { confidenceOf } from '../../../core/confidence.js'
import { fetchSighting, postFeedback } from './api.js'
import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { distanceAndBearing, formatDistance } from './geo.js'
import { displayName } from './i18n.js'
import { compass, tn } from './notify-i18n.js'
import { csrfHeaders, type Me } from './session.js'
import type { SightingView } from './types.js'

type Action = 'enRoute' | 'confirm' | 'reject'

/** 高 / 中 / 低 instead of the model's raw score and ImageNet label */
export function confidenceText (score: number): string {
  return tn('sighting.confidence', { c: tn(`conf.${confidenceOf(score)}`) })
}

async function loadLeaflet (): Promise<boolean> {
  if (typeof (globalThis as { L?: unknown }).L !== 'undefined') return true
  document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/leaflet/leaflet.css' }))
  return await new Promise(resolve => {
    const script = h('script', { src: '/vendor/leaflet/leaflet.js' })
    script.addEventListener('load', () => { resolve(true) })
    script.addEventListener('error', () => { resolve(false) })
    document.head.append(script)
  })
}

async function postEnRoute (alertId: string): Promise<void> {
  const res = await fetch(`/api/notify/alerts/${encodeURIComponent(alertId)}/en-route`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() }, body: '{}' })
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { message?: string }
    throw new Error(body.message ?? `${res.status}`)
  }
}

/**
 * The sighting a push opened (`/hunter.html?sighting=ID`): best frame, time,
 * the camera on a small map, distance and direction from the phone (asked
 * only when tapped), confidence as 高/中/低, and 向かいます / 確認 / 誤報 in one tap each.
 */
export async function showSighting (me: Me, sightingId: string, host: HTMLElement): Promise<HTMLElement | undefined> {
  let s: SightingView
  try {
    s = await fetchSighting(sightingId)
  } catch {
    return undefined
  }
  const name = s.camera == null ? s.cameraId : displayName(s.camera)
  const status = h('p', { class: 'sighting-status', role: 'status', 'aria-live': 'polite' })
  const where = h('p', { class: 'sighting-where' })
  const mapBox = h('div', { class: 'sighting-map', id: 'sighting-map', role: 'img', 'aria-label': name })
  const act = async (action: Action, button: HTMLButtonElement): Promise<void> => {
    if (s.alertId === null) return
    button.disabled = true
    try {
      if (action === 'enRoute') await postEnRoute(s.alertId)
      else await postFeedback(s.alertId, me.hunterId ?? '', action)
      status.textContent = tn(action === 'enRoute' ? 'sighting.sentEnRoute' : action === 'confirm' ? 'sighting.sentConfirm' : 'sighting.sentReject')
      section.dataset.sent = action
    } catch (err) {
      status.textContent = tn('sighting.error', { msg: (err as Error).message })
    } finally {
      button.disabled = false
    }
  }
  const button = (action: Action, label: string): HTMLButtonElement => {
    const b = h('button', { type: 'button', class: `sighting-${action}`, 'data-action': action }, label)
    b.addEventListener('click', () => { void act(action, b) })
    return b
  }
  const locate = h('button', { type: 'button', class: 'sighting-locate' }, tn('sighting.where'))
  locate.addEventListener('click', () => {
    if (!('geolocation' in navigator)) { where.textContent = tn('sighting.noLocation'); return }
    navigator.geolocation.getCurrentPosition(pos => {
      const me = { lat: pos.coords.latitude, lon: pos.coords.longitude }
      const d = distanceAndBearing(me, { lat: s.lat, lon: s.lon })
      where.textContent = tn('sighting.distance', { dir: compass(d.bearing), km: formatDistance(d.metres) })
      where.dataset.metres = String(Math.round(d.metres))
      if (map !== undefined) L.circleMarker([me.lat, me.lon], { radius: 6, color: '#1565c0' }).addTo(map)
    }, () => { where.textContent = tn('sighting.noLocation') }, { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 })
  })
  const section = h('section', { class: 'sighting-focus', id: 'sighting-focus', 'data-sighting-id': s.id, 'aria-labelledby': 'sighting-focus-title' },
    h('h2', { id: 'sighting-focus-title' }, `${s.alert?.drill === true ? tn('sighting.drill') : ''}${tn('sighting.title', { name })}`),
    s.thumbnailUrl === null ? null : h('img', { class: 'sighting-frame', src: s.thumbnailUrl, alt: tn('sighting.bestFrame', { name }), decoding: 'async' }),
    h('p', { class: 'sighting-meta' },
      h('time', { datetime: s.time }, formatDateTime(s.time)), ' · ',
      h('strong', { class: 'sighting-confidence', 'data-confidence': confidenceOf(s.bestScore) }, confidenceText(s.bestScore)), ' · ',
      tn('sighting.frames', { p: s.positives, n: s.frames })),
    mapBox,
    h('div', { class: 'sighting-locate-row' }, locate, where),
    h('div', { class: 'sighting-actions' }, button('enRoute', tn('sighting.enRoute')), button('confirm', tn('sighting.confirm')), button('reject', tn('sighting.reject'))),
    status)
  host.prepend(section)
  let map: L.Map | undefined
  if (await loadLeaflet()) {
    map = L.map(mapBox, { zoomControl: false, attributionControl: false }).setView([s.lat, s.lon], 15)
    mapBox.classList.add('map-offline')
    L.marker([s.lat, s.lon], { title: name, alt: name }).addTo(map)
  }
  section.scrollIntoView({ block: 'start' })
  return section
}
