import { confidenceOf } from '../../../core/confidence.js'
import { fetchSighting } from './api.js'
import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { distanceAndBearing, formatDistance } from './geo.js'
import { displayName } from './i18n.js'
import { compass, tn } from './notify-i18n.js'
import { HUNTER_ACTIONS, sendHunterAction, type HunterAction } from './hunter-actions.js'
import { coordsText, createBaseMap } from './hunter-map.js'
import type { Me } from './session.js'
import type { SightingView } from './types.js'

type Action = HunterAction

export const SENT_KEY: Record<Action, string> = { enRoute: 'sighting.sentEnRoute', confirm: 'sighting.sentConfirm', reject: 'sighting.sentReject' }
export const LABEL_KEY: Record<Action, string> = { enRoute: 'sighting.enRoute', confirm: 'sighting.confirm', reject: 'sighting.reject' }

/** 高 / 中 / 低 instead of the model's raw score and ImageNet label */
export function confidenceText (score: number): string {
  return tn('sighting.confidence', { c: tn(`conf.${confidenceOf(score)}`) })
}

/**
 * The sighting a push opened (`/hunter.html?sighting=ID`): best frame, time,
 * the camera on a small map, distance and direction from the phone (asked
 * only when tapped), confidence as 高/中/低, and 向かいます / サルでした / 誤報 in one tap each
 * (the same three as every card of the list).
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
  // the coordinates are the placeholder: without Leaflet (or offline without tiles) they still say where
  const mapBox = h('div', { class: 'sighting-map', id: 'sighting-map', role: 'img', 'aria-label': `${name} ${coordsText(s.lat, s.lon)}` },
    h('p', { class: 'map-placeholder' }, coordsText(s.lat, s.lon)))
  const act = async (action: Action, button: HTMLButtonElement): Promise<void> => {
    if (s.alertId === null) return
    button.disabled = true
    try {
      await sendHunterAction(s.alertId, me.hunterId ?? '', action)
      status.textContent = tn(SENT_KEY[action])
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
    h('p', { class: 'sighting-coords' }, coordsText(s.lat, s.lon)),
    h('div', { class: 'sighting-actions' }, ...HUNTER_ACTIONS.map(a => button(a, tn(LABEL_KEY[a])))),
    status)
  host.prepend(section)
  const map: L.Map | undefined = await createBaseMap(mapBox, [s.lat, s.lon], 14)
  if (map !== undefined) {
    mapBox.querySelector('.map-placeholder')?.remove()
    L.marker([s.lat, s.lon], { title: name, alt: name }).addTo(map)
  }
  section.scrollIntoView({ block: 'start' })
  return section
}
