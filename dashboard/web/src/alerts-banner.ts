import { severityRank, type AlertSubject, type AlertView } from './alerts-api.js'
import { colourOf, detailText, nowText, ruleLabel } from './alerts-list.js'
import { byId } from './dom.js'
import { formatDateTime } from './format.js'
import { t } from './i18n.js'

/** A firing alert this severe or worse also shows the banner over the map (避難判断水位 Lv3 → severe). */
export const BANNER_RANK = severityRank('severe')
/** ring drawn around a marker with an open alert, px */
const RING_RADIUS = 20

export interface Banner {
  /** the alert the banner shows, if any */
  readonly shownId: string | undefined
  render(items: AlertView[], busy: (id: string) => boolean, canAct: boolean): void
}

/** `#alert-banner` over the map: the worst firing alert at Lv3 or worse, where the river is now */
export function createBanner (subjectName: (a: AlertView) => string, onShow: (id: string) => void, onAck: (id: string) => void): Banner {
  const banner = byId('alert-banner')
  const title = byId('alert-banner-title')
  const text = byId('alert-banner-text')
  const more = byId('alert-banner-more')
  const ack = byId<HTMLButtonElement>('alert-banner-ack')
  const show = byId<HTMLButtonElement>('alert-banner-show')
  let shownId: string | undefined
  show.addEventListener('click', () => { if (shownId !== undefined) onShow(shownId) })
  ack.addEventListener('click', () => { if (shownId !== undefined) onAck(shownId) })
  return {
    get shownId () { return shownId },
    render (items, busy, canAct) {
      const urgent = items.filter(a => a.state === 'firing' && severityRank(a.severity) >= BANNER_RANK)
      const top = urgent[0]
      shownId = top?.id
      if (top === undefined) {
        banner.hidden = true
        delete banner.dataset.alertId
        return
      }
      const colour = colourOf(top)
      banner.hidden = false
      banner.dataset.alertId = top.id
      banner.dataset.severity = top.severity
      banner.dataset.drill = top.drill ? 'true' : 'false'
      banner.style.setProperty('--sev-bg', colour.bg)
      banner.style.setProperty('--sev-fg', colour.fg)
      title.textContent = `${top.drill ? `【${t('alert.drill')}】` : ''}${subjectName(top)}  ${ruleLabel(top)}`
      const detail = detailText(top)
      // the banner says where the river is NOW, not only what it once crossed
      const now = top.kind === 'river' ? nowText(top.subjectId) : null
      text.textContent = [now?.text, detail, `${t('alert.observed')} ${formatDateTime(top.lastSeenAt)}`].filter(x => x != null && x !== '').join(' · ')
      more.textContent = urgent.length > 1 ? t('alert.bannerMore', { n: urgent.length - 1 }) : ''
      ack.disabled = busy(top.id)
      ack.hidden = !canAct
    }
  }
}

/** a ring (`.alert-ring`) and class `has-alert` on every marker with an open alert; dashed once acknowledged */
export function createMarkerRings (map: L.Map, subject: (id: string) => AlertSubject | undefined): { render(items: AlertView[]): void } {
  const rings = new Map<string, L.CircleMarker>()
  return {
    render (items) {
      const worst = new Map<string, AlertView>()
      for (const a of items) if (!worst.has(a.subjectId)) worst.set(a.subjectId, a) // items are worst first
      for (const el of document.querySelectorAll<Element>('.has-alert')) {
        const id = el.getAttribute('data-station-id') ?? el.getAttribute('data-camera-id') ?? ''
        if (!worst.has(id)) {
          el.classList.remove('has-alert')
          el.removeAttribute('data-alert-severity')
        }
      }
      for (const [id, ring] of rings) {
        if (!worst.has(id)) {
          ring.remove()
          rings.delete(id)
        }
      }
      for (const [id, a] of worst) {
        const s = subject(id)
        if (s === undefined) continue
        const sel = s.type === 'station' ? `.station-marker[data-station-id="${CSS.escape(id)}"]` : `.camera-marker[data-camera-id="${CSS.escape(id)}"]`
        for (const el of document.querySelectorAll<Element>(sel)) {
          el.classList.add('has-alert')
          el.setAttribute('data-alert-severity', a.severity)
        }
        const colour = colourOf(a).bg
        // acknowledged: someone is on it, the ring stops pulsing and turns dashed
        const dashArray = a.state === 'acknowledged' ? '5 5' : ''
        let ring = rings.get(id)
        if (ring === undefined) {
          ring = L.circleMarker([s.lat, s.lon], { radius: RING_RADIUS, className: 'alert-ring', color: colour, weight: 3, opacity: 0.95, fill: false, dashArray, interactive: false })
          ring.addTo(map)
          rings.set(id, ring)
        } else {
          ring.setLatLng([s.lat, s.lon])
          ring.setStyle({ color: colour, dashArray })
        }
        const el = ring.getElement()
        if (el !== undefined) {
          el.setAttribute('data-subject-id', id)
          el.setAttribute('data-state', a.state)
          el.setAttribute('aria-hidden', 'true')
        }
        ring.bringToBack()
      }
    }
  }
}
