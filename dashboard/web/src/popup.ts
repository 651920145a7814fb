import { h } from './dom.js'
import { formatDateTime, formatLevel } from './format.js'
import { displayName, statusLabel, statusLabelLong, t } from './i18n.js'
import { STATUS_STYLE, THRESHOLD_BANDS, nextThreshold } from './levels.js'
import { sparkline, type Point } from './sparkline.js'
import type { StationStatus, StationView } from './types.js'
import { tv } from './views-i18n.js'

export const DAY_MS = 86_400_000

/** the threshold list's open/closed choice outlives re-renders; folded by default on phones */
let thresholdsOpen = !window.matchMedia('(max-width: 640px)').matches

/** What the chart part of a popup shows. */
export type ChartState =
  | { kind: 'loading' }
  | { kind: 'error' }
  | { kind: 'ready', points: Point[] }

export function statusChip (status: StationStatus, long = false): HTMLSpanElement {
  const style = STATUS_STYLE[status]
  return h('span', {
    class: 'status-chip',
    'data-status': status,
    style: `--chip-bg:${style.fill};--chip-fg:${style.text}`
  }, long ? statusLabelLong(status) : statusLabel(status))
}

function thresholdList (station: StationView): HTMLDListElement {
  const level = station.latest?.level
  const dl = h('dl', { class: 'popup-thresholds' })
  const rows: Array<{ key: keyof StationView['thresholds'], band: StationStatus | null }> = [
    ...THRESHOLD_BANDS,
    { key: 'observationStart', band: null }
  ]
  for (const { key, band } of rows) {
    const value = station.thresholds[key]
    if (value === undefined) continue
    const reached = level !== undefined && level >= value
    const swatch = band === null
      ? h('span', { class: 'swatch swatch-none', 'aria-hidden': 'true' })
      : h('span', { class: 'swatch', 'aria-hidden': 'true', style: `--swatch:${STATUS_STYLE[band].fill}` })
    dl.append(h('div', { class: 'threshold-row', 'data-threshold': key, 'data-reached': reached ? 'true' : 'false' },
      h('dt', {}, swatch, t(`threshold.${key}`)),
      h('dd', {}, formatLevel(value))
    ))
  }
  return dl
}

function thresholdBox (station: StationView): HTMLDetailsElement {
  const box = h('details', { class: 'popup-thresholds-box', open: thresholdsOpen },
    h('summary', {}, t('popup.thresholds')),
    thresholdList(station)
  )
  box.addEventListener('toggle', () => { thresholdsOpen = box.open })
  return box
}

function chart (station: StationView, state: ChartState): HTMLElement {
  const figure = h('figure', { class: 'popup-chart' })
  if (state.kind === 'loading') {
    figure.append(h('div', { class: 'popup-chart-placeholder' }, t('popup.chartLoading')))
  } else if (state.kind === 'error') {
    figure.append(h('div', { class: 'popup-chart-placeholder' }, t('popup.chartError')))
  } else {
    const to = Date.now()
    figure.append(sparkline(state.points, { from: to - DAY_MS, to, thresholds: station.thresholds, status: station.status }))
  }
  figure.append(h('figcaption', {}, t('popup.chart')))
  return figure
}

/** 欠測補完: shown only when the gauge had to summarise measurements during an outage */
function backlogLine (station: StationView): HTMLElement | false {
  const b = station.device?.lastBacklog
  if (b == null || b.summarised === 0) return false
  return h('div', { class: 'popup-backlog', 'data-summarised': b.summarised },
    t('popup.backlog', { sent: b.sent, summarised: b.summarised, from: formatDateTime(b.from), to: formatDateTime(b.to) }))
}

/** 確認待ち: a newer reading QC still holds, beside the current (confirmed) level, never instead of it */
function pendingLine (station: StationView): HTMLElement | false {
  const p = station.pending
  if (p == null) return false
  return h('div', { class: 'popup-pending', 'data-level': p.level, 'data-qc-flag': p.qcFlag },
    t('popup.pending', { level: formatLevel(p.level), time: formatDateTime(p.time) }))
}

/** Fills `root` with the station's popup; called again on every live reading while open. */
export function renderStationPopup (root: HTMLElement, station: StationView, chartState: ChartState): void {
  root.className = 'station-popup'
  root.dataset.stationId = station.id
  root.dataset.status = station.status
  const latest = station.latest
  const next = latest === null ? null : nextThreshold(latest.level, station.thresholds)

  const parts: Array<Node | false> = [
    h('header', { class: 'popup-head' },
      h('h2', { class: 'popup-name' }, displayName(station)),
      h('div', { class: 'popup-river' }, `${t('popup.river')}: ${station.river}`)
    ),
    h('div', { class: 'popup-now' },
      h('span', { class: 'popup-level', 'data-level': latest?.level ?? '' },
        latest === null ? t('popup.noData') : `${t('popup.level')} ${formatLevel(latest.level)}`),
      statusChip(station.status, true)
    ),
    latest !== null && h('div', { class: 'popup-time' },
      `${t('popup.observed')} `,
      h('time', { datetime: latest.time }, formatDateTime(latest.time)),
      // when the last reading arrived (a back-filled one arrives long after its own time)
      ` · ${t('popup.received')} `,
      h('time', { class: 'popup-received', datetime: latest.receivedAt }, formatDateTime(latest.receivedAt))
    ),
    pendingLine(station),
    latest !== null && h('div', { class: 'popup-next' },
      next === null ? t('popup.top') : t('popup.next', { band: t(`threshold.${next.key}`), d: formatLevel(next.value - latest.level) })),
    chart(station, chartState),
    h('a', { class: 'popup-history', href: `#station=${encodeURIComponent(station.id)}` }, tv('popup.history')),
    thresholdBox(station),
    backlogLine(station),
    h('div', { class: 'popup-meta' },
      latest?.batteryV != null && `${t('popup.battery')} ${latest.batteryV.toFixed(2)} V · `,
      `${t('popup.device')} ${station.deviceId}`
    )
  ]
  root.replaceChildren(...parts.filter((p): p is Node => p !== false))
}
