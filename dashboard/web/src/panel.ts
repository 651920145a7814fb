import { byId, h } from './dom.js'
import { formatClock, formatDateTime, formatLevel } from './format.js'
import { displayName, statusLabel, t } from './i18n.js'
import { STATUS_STYLE, severity } from './levels.js'
import { statusChip } from './popup.js'
import type { CameraView, StationView, StatusChange } from './types.js'

const MAX_EVENTS = 30
/** a row stays marked as recently changed this long */
const RECENT_MS = 10 * 60_000

function byConcern (a: StationView, b: StationView): number {
  return severity(b.status) - severity(a.status) ||
    // nearer to its next band first: the fraction of the way from standby to flooding
    progress(b) - progress(a) ||
    a.name.localeCompare(b.name, 'ja')
}

function progress (s: StationView): number {
  if (s.latest === null) return -Infinity
  const { standby, flooding } = s.thresholds
  return (s.latest.level - standby) / (flooding - standby)
}

export interface Panel {
  stations(list: StationView[]): void
  cameras(list: CameraView[]): void
  statusChange(change: StatusChange, station: StationView | undefined): void
  relabel(): void
}

/**
 * The side panel: alert summary, stations worst-first (`#station-row-<id>`),
 * cameras (`#camera-row-<id>`) and a log of band changes. On phones it sits
 * under the map and is the main way to read the figures.
 */
export function createPanel (handlers: { selectStation(id: string): void, selectCamera(id: string): void }): Panel {
  const stationList = byId<HTMLOListElement>('station-list')
  const cameraList = byId<HTMLUListElement>('camera-list')
  const cameraSection = byId('camera-section')
  const summary = byId('summary')
  const eventList = byId<HTMLOListElement>('event-log')
  const stationCount = byId('station-count')
  let lastStations: StationView[] = []
  let lastCameras: CameraView[] = []
  const events: Array<{ change: StatusChange, station: StationView | undefined }> = []
  const changedAt = new Map<string, number>()

  function stationRow (s: StationView): HTMLLIElement {
    const st = STATUS_STYLE[s.status]
    const button = h('button', { type: 'button', class: 'row-button', 'aria-label': `${displayName(s)}: ${statusLabel(s.status)}${s.latest === null ? '' : ` ${formatLevel(s.latest.level)}`}` },
      h('span', { class: 'row-dot', 'aria-hidden': 'true', style: `--dot-fill:${st.fill};--dot-stroke:${st.stroke}` }),
      h('span', { class: 'row-main' },
        h('span', { class: 'row-name' }, displayName(s)),
        h('span', { class: 'row-sub' },
          s.latest === null ? t('popup.noData') : formatDateTime(s.latest.time))
      ),
      h('span', { class: 'row-figures' },
        h('span', { class: 'row-level' }, s.latest === null ? t('row.noData') : formatLevel(s.latest.level)),
        statusChip(s.status)
      )
    )
    button.addEventListener('click', () => { handlers.selectStation(s.id) })
    const recent = Date.now() - (changedAt.get(s.id) ?? -Infinity) < RECENT_MS
    return h('li', { id: `station-row-${s.id}`, class: recent ? 'station-row recent' : 'station-row', 'data-station-id': s.id, 'data-status': s.status }, button)
  }

  function renderStations (): void {
    const sorted = [...lastStations].sort(byConcern)
    // keep focus on the row the user is on when the list re-sorts
    const focusedId = (document.activeElement?.closest('.station-row') as HTMLElement | null)?.dataset.stationId
    stationList.replaceChildren(...sorted.map(stationRow))
    if (focusedId !== undefined) document.querySelector<HTMLButtonElement>(`#station-row-${CSS.escape(focusedId)} button`)?.focus({ preventScroll: true })
    stationCount.textContent = String(sorted.length)
    const alerting = sorted.filter(s => severity(s.status) >= 2).length
    summary.dataset.alerting = String(alerting)
    summary.textContent = alerting === 0 ? t('summary.none') : t('summary.alerting', { n: alerting })
  }

  function renderCameras (): void {
    cameraSection.hidden = lastCameras.length === 0
    cameraList.replaceChildren(...lastCameras.map(c => {
      const button = h('button', { type: 'button', class: 'row-button' },
        h('span', { class: 'row-cam', 'aria-hidden': 'true' }),
        h('span', { class: 'row-main' },
          h('span', { class: 'row-name' }, displayName(c)),
          h('span', { class: 'row-sub' }, c.latest === null ? t('camera.noImage') : `${t('camera.taken')} ${formatDateTime(c.latest.time)}`)
        )
      )
      button.addEventListener('click', () => { handlers.selectCamera(c.id) })
      return h('li', { id: `camera-row-${c.id}`, class: 'camera-row', 'data-camera-id': c.id }, button)
    }))
  }

  function eventItem ({ change, station }: { change: StatusChange, station: StationView | undefined }): HTMLLIElement {
    const worse = severity(change.to) > severity(change.from)
    return h('li', { class: 'event-row', 'data-station-id': change.stationId, 'data-to': change.to, 'data-direction': worse ? 'up' : 'down' },
      h('time', { datetime: change.time }, formatClock(change.time)),
      h('span', { class: 'event-arrow', 'aria-hidden': 'true' }, worse ? '▲' : '▼'),
      h('span', {}, t('event.change', {
        name: station === undefined ? change.stationId : displayName(station),
        from: statusLabel(change.from),
        to: statusLabel(change.to),
        level: formatLevel(change.level)
      }))
    )
  }

  function renderEvents (): void {
    if (events.length === 0) eventList.replaceChildren(h('li', { class: 'event-empty' }, t('panel.noEvents')))
    else eventList.replaceChildren(...events.map(eventItem))
  }

  renderEvents()
  return {
    stations (list) {
      lastStations = list
      renderStations()
    },
    cameras (list) {
      lastCameras = list
      renderCameras()
    },
    statusChange (change, station) {
      events.unshift({ change, station })
      events.length = Math.min(events.length, MAX_EVENTS)
      renderEvents()
      changedAt.set(change.stationId, Date.now())
      document.getElementById(`station-row-${change.stationId}`)?.classList.add('recent')
    },
    relabel () {
      renderStations()
      renderCameras()
      renderEvents()
    }
  }
}
