import { h } from './dom.js'
import { formatDateTime, formatLevel, formatRate } from './format.js'
import { trendKey } from '../../../core/river/trend.js'
import { displayName, statusLabelLong, t } from './i18n.js'
import type { AlertView } from './alerts-api.js'
import type { HydrographData } from './hydrograph.js'
import type { SeriesResponse, StationTrend, StationView } from './types.js'
import { formatDuration, tv, type ViewKey } from './views-i18n.js'

const HOUR = 3_600_000

/**
 * 最終受信: when the last READING arrived — what people mean by it. A gauge's status
 * message (device.lastSeen) comes far less often and made every station look silent.
 */
export function lastReceived (s: StationView): string {
  if (s.latest !== null) return formatDateTime(s.latest.receivedAt)
  return s.device?.lastSeen != null ? formatDateTime(s.device.lastSeen) : '—'
}

function figure (label: ViewKey, value: string, extra: Record<string, string> = {}): HTMLElement {
  return h('div', { class: 'figure', ...extra }, h('dt', {}, tv(label)), h('dd', {}, value))
}

/** the station's figures: level, band, rate of rise, forecast to the next threshold, device */
export function stationFigures (s: StationView, trend: StationTrend | undefined): HTMLElement {
  const d = s.device ?? null
  const rate = trend?.rateMPerHour ?? null
  // unknown (too little data since a restart or a gap) is never "not rising"
  let eta = rate === null ? tv('station.etaUnknown') : tv('station.etaNone')
  if (trend?.next === null) eta = tv('station.etaTop')
  else if (trend?.hoursToNext != null && trend.next != null) {
    eta = tv('station.etaValue', {
      name: t(`threshold.${trend.next.key}` as 'threshold.standby'),
      d: formatDuration(trend.hoursToNext),
      at: formatDateTime(Date.parse(trend.time ?? '') + trend.hoursToNext * HOUR)
    })
  }
  return h('dl', { class: 'station-figures' },
    figure('station.level', s.latest === null ? '—' : formatLevel(s.latest.level)),
    figure('station.band', statusLabelLong(s.status), { 'data-status': s.status }),
    figure('station.rate', rate === null ? tv('station.rateUnknown') : formatRate(rate), { 'data-trend': trendKey(rate) }),
    figure('station.eta', eta),
    figure('station.battery', d?.batteryV != null ? `${d.batteryV.toFixed(2)} V` : s.latest?.batteryV != null ? `${s.latest.batteryV.toFixed(2)} V` : '—'),
    figure('station.lastSeen', lastReceived(s)),
    figure('station.online', d === null ? tv('station.unknown') : d.online ? tv('station.onlineYes') : tv('station.onlineNo'), { 'data-online': d === null ? 'unknown' : String(d.online) })
  )
}


/** back link, the title (focused when the page opens), export and print */
export function stationHead (s: StationView): HTMLElement {
  const back = h('a', { href: '#map', class: 'station-back' }, tv('station.back'))
  const print = h('button', { type: 'button', class: 'station-print' }, tv('station.print'))
  print.addEventListener('click', () => { window.print() })
  const exportLink = h('a', { class: 'station-export', href: `#export=${encodeURIComponent(s.id)}` }, tv('station.export'))
  return h('div', { class: 'station-head' },
    back,
    h('h2', { id: 'station-title', class: 'station-title' },
      h('span', { class: 'row-dot', 'aria-hidden': 'true', 'data-status': s.status }),
      displayName(s),
      h('span', { class: 'station-river' }, s.river)),
    h('div', { class: 'station-actions' }, exportLink, print))
}

/** what the hydrograph draws for the range: the series, thresholds, alerts, gaps, episodes and the forecast line */
export function hydrographData (series: SeriesResponse, station: StationView, trend: StationTrend | undefined, alerts: AlertView[], range: { from: number, to: number }): HydrographData {
  const latest = station.latest
  const rate = trend?.rateMPerHour ?? null
  return {
    points: series.points,
    bucketMs: series.bucketMs,
    from: range.from,
    to: range.to,
    thresholds: station.thresholds,
    alerts,
    gaps: series.gaps.map(g => [Date.parse(g.from), Date.parse(g.to)] as [number, number]),
    episodes: series.episodes.map(e => [Date.parse(e.start), Date.parse(e.end)] as [number, number]),
    forecast: latest === null || rate === null || rate <= 0 ? null : { time: Date.parse(latest.time), level: latest.level, rate, target: trend?.next?.value ?? null }
  }
}
