import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { ruleLabel } from './alerts-list.js'
import { t } from './i18n.js'
import { alertSpan } from './hydrograph.js'
import type { AlertView } from './alerts-api.js'
import type { SeriesResponse } from './types.js'
import { tv } from './views-i18n.js'

const HOUR = 3_600_000
/** an event is shown with this much before its start and after its end */
const EVENT_MARGIN_MS = 6 * HOUR

/** the time range the station page shows: a preset (6h…30d), an alert's event, or a custom pan/zoom */
export interface ShownRange { key: string, from: number, to: number }

/** the station's alerts that overlap the range shown; 「この期間を表示」 zooms to one */
export function alertList (alerts: AlertView[], range: ShownRange, showEvent: (from: number, to: number) => void): HTMLElement {
  const inRange = alerts.filter(a => {
    const [start, end] = alertSpan(a)
    return end >= range.from && start <= range.to
  })
  if (inRange.length === 0) return h('p', { class: 'station-alerts-empty' }, tv('station.noAlerts'))
  return h('ol', { class: 'station-alerts' }, ...inRange.map(a => {
    const show = h('button', { type: 'button', class: 'link-button' }, tv('station.showEvent'))
    show.addEventListener('click', () => {
      const [start, end] = alertSpan(a)
      showEvent(start - EVENT_MARGIN_MS, Math.min(Date.now(), end + EVENT_MARGIN_MS))
    })
    return h('li', { class: 'station-alert', 'data-severity': a.severity, 'data-state': a.state },
      h('span', { class: 'station-alert-time' }, `${formatDateTime(alertSpan(a)[0])} – ${a.state === 'resolved' ? formatDateTime(alertSpan(a)[1]) : ''}`),
      h('span', { class: 'station-alert-title' }, ruleLabel(a)),
      h('span', { class: 'station-alert-state' }, t(`alert.state.${a.state}`)),
      show)
  }))
}

/** 欠測 stretches and obstruction episodes of the range shown (series API, data time) */
export function eventList (series: SeriesResponse | undefined): HTMLElement {
  const box = h('div', { class: 'station-events' })
  if (series === undefined) return box
  if (series.gaps.length > 0) {
    box.append(h('p', { class: 'station-gaps', 'data-gaps': String(series.gaps.length) }, tv('station.gaps', { n: series.gaps.length }), ' ',
      series.gaps.map(g => `${formatDateTime(Date.parse(g.from))} – ${formatDateTime(Date.parse(g.to))}`).join(', ')))
  }
  if (series.episodes.length > 0) {
    box.append(h('h3', {}, tv('station.episodes')), h('ol', { class: 'station-episodes' }, ...series.episodes.map(e =>
      h('li', { class: 'station-episode', 'data-kind': e.kind }, tv('station.episode', {
        start: formatDateTime(Date.parse(e.start)), end: formatDateTime(Date.parse(e.end)), kind: e.kind, n: e.echoes, level: e.echoLevel.toFixed(2), kept: e.kept
      })))))
  }
  return box
}


/** the station's alert history under the hydrograph */
export function alertSection (list: HTMLElement): HTMLElement {
  return h('section', { class: 'station-alert-section', 'aria-labelledby': 'station-alerts-heading' },
    h('h3', { id: 'station-alerts-heading' }, tv('station.alerts')),
    list)
}
