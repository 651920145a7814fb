import { byId, h } from './dom.js'
import { formatDateTime, formatLevel, formatRate } from './format.js'
import { ruleLabel } from './alerts-list.js'
import { trendKey } from '../../../core/river/trend.js'
import { displayName, statusLabelLong, t } from './i18n.js'
import { alertSpan, createHydrograph, type Hydrograph } from './hydrograph.js'
import type { AlertView } from './alerts-api.js'
import type { SeriesResponse, StationTrend, StationView } from './types.js'
import { fetchSeries, fetchStation, fetchSubjectAlerts, fetchTrends } from './views-api.js'
import { formatDuration, tv, type ViewKey } from './views-i18n.js'
import { createAccuracyPanel } from './station-accuracy.js'

const HOUR = 3_600_000
const RANGES: Array<{ key: string, label: ViewKey, ms: number }> = [
  { key: '6h', label: 'station.range.6h', ms: 6 * HOUR },
  { key: '24h', label: 'station.range.24h', ms: 24 * HOUR },
  { key: '7d', label: 'station.range.7d', ms: 7 * 24 * HOUR },
  { key: '30d', label: 'station.range.30d', ms: 30 * 24 * HOUR }
]
/** 30 days at 10-minute resolution is 4320 points: ask for enough that it comes back raw */
const POINTS = 5000
/** an event is shown with this much before its start and after its end */
const EVENT_MARGIN_MS = 6 * HOUR

/**
 * 最終受信: when the last READING arrived — what people mean by it. A gauge's status
 * message (device.lastSeen) comes far less often and made every station look silent.
 */
export function lastReceived (s: StationView): string {
  if (s.latest !== null) return formatDateTime(s.latest.receivedAt)
  return s.device?.lastSeen != null ? formatDateTime(s.device.lastSeen) : '—'
}

export interface StationPage {
  open(id: string): Promise<void>
  close(): void
  relabel(): void
  /** ms the last hydrograph took to draw (logged by the e2e test) */
  readonly lastRenderMs: number
}

/**
 * The station page: figures (level, band, rate of rise, forecast, device),
 * the hydrograph with range buttons, pan and zoom, and the alert history on
 * the same time axis. Printable (style.css @media print).
 */
export function createStationPage (): StationPage {
  const root = byId('station-view')
  let hydro: Hydrograph | undefined
  let station: StationView | undefined
  let trend: StationTrend | undefined
  let alerts: AlertView[] = []
  let range = { key: '24h', from: 0, to: 0 }
  let abort: AbortController | undefined
  let lastRenderMs = 0
  // kept across re-renders (range buttons re-render the page) so the chosen reference and result stay
  let tab: 'levels' | 'accuracy' = 'levels'
  let accuracyPanel: HTMLElement | undefined
  const status = h('p', { class: 'station-status', role: 'status' })

  function figure (label: ViewKey, value: string, extra: Record<string, string> = {}): HTMLElement {
    return h('div', { class: 'figure', ...extra }, h('dt', {}, tv(label)), h('dd', {}, value))
  }

  function figures (s: StationView): HTMLElement {
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

  function alertList (): HTMLElement {
    const inRange = alerts.filter(a => {
      const [start, end] = alertSpan(a)
      return end >= range.from && start <= range.to
    })
    if (inRange.length === 0) return h('p', { class: 'station-alerts-empty' }, tv('station.noAlerts'))
    return h('ol', { class: 'station-alerts' }, ...inRange.map(a => {
      const show = h('button', { type: 'button', class: 'link-button' }, tv('station.showEvent'))
      show.addEventListener('click', () => {
        const [start, end] = alertSpan(a)
        range = { key: 'event', from: start - EVENT_MARGIN_MS, to: Math.min(Date.now(), end + EVENT_MARGIN_MS) }
        void load()
      })
      return h('li', { class: 'station-alert', 'data-severity': a.severity, 'data-state': a.state },
        h('span', { class: 'station-alert-time' }, `${formatDateTime(alertSpan(a)[0])} – ${a.state === 'resolved' ? formatDateTime(alertSpan(a)[1]) : ''}`),
        h('span', { class: 'station-alert-title' }, ruleLabel(a)),
        h('span', { class: 'station-alert-state' }, t(`alert.state.${a.state}`)),
        show)
    }))
  }

  /** 欠測 stretches and obstruction episodes of the range shown (series API, data time) */
  function eventList (series: SeriesResponse | undefined): HTMLElement {
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

  function rangeButtons (): HTMLElement {
    const group = h('div', { class: 'range-buttons', role: 'group', 'aria-label': tv('station.range') })
    for (const r of RANGES) {
      const b = h('button', { type: 'button', 'data-range': r.key, 'aria-pressed': String(range.key === r.key) }, tv(r.label))
      b.addEventListener('click', () => {
        const to = Date.now()
        range = { key: r.key, from: to - r.ms, to }
        void load()
      })
      group.append(b)
    }
    if (range.key === 'event') group.append(h('button', { type: 'button', 'data-range': 'event', 'aria-pressed': 'true', disabled: true }, tv('station.range.event')))
    const pan = (dir: -1 | 1): HTMLButtonElement => {
      const b = h('button', { type: 'button', class: 'pan', 'data-pan': dir < 0 ? 'left' : 'right', 'aria-label': tv(dir < 0 ? 'station.panLeft' : 'station.panRight') }, dir < 0 ? '◀' : '▶')
      b.addEventListener('click', () => {
        const span = range.to - range.from
        const shift = dir * span / 2
        const to = Math.min(Date.now(), range.to + shift)
        range = { key: 'custom', from: to - span, to }
        void load()
      })
      return b
    }
    group.prepend(pan(-1))
    group.append(pan(1))
    return group
  }

  /** 水位 (the hydrograph and alerts) or 精度評価; the level view's elements stay in place, hidden */
  function tabs (levelParts: HTMLElement[], accuracy: HTMLElement): HTMLElement {
    const bar = h('div', { class: 'station-tabs', role: 'tablist' })
    const show = (which: 'levels' | 'accuracy'): void => {
      tab = which
      for (const el of levelParts) el.hidden = which !== 'levels'
      accuracy.hidden = which !== 'accuracy'
      for (const b of bar.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.tab === which))
    }
    for (const [key, label] of [['levels', '水位 / Levels'], ['accuracy', '精度評価 / Accuracy']] as const) {
      const b = h('button', { type: 'button', role: 'tab', 'data-tab': key, 'aria-selected': String(key === tab) }, label)
      b.addEventListener('click', () => { show(key) })
      bar.append(b)
    }
    show(tab)
    return bar
  }

  function render (): void {
    if (station === undefined) return
    const s = station
    const back = h('a', { href: '#map', class: 'station-back' }, tv('station.back'))
    const print = h('button', { type: 'button', class: 'station-print' }, tv('station.print'))
    print.addEventListener('click', () => { window.print() })
    const exportLink = h('a', { class: 'station-export', href: `#export=${encodeURIComponent(s.id)}` }, tv('station.export'))
    const chart = root.querySelector<HTMLElement>('.hydrograph') ?? h('div', { class: 'hydrograph', 'aria-label': `${displayName(s)} ${tv('station.legend.level')}` })
    const levelParts = [
      h('div', { class: 'station-controls' }, rangeButtons(), h('span', { class: 'zoom-hint' }, tv('station.zoomHint'))),
      chart,
      status,
      eventList(undefined),
      h('section', { class: 'station-alert-section', 'aria-labelledby': 'station-alerts-heading' },
        h('h3', { id: 'station-alerts-heading' }, tv('station.alerts')),
        alertList())
    ]
    accuracyPanel ??= createAccuracyPanel(s.id, () => ({ from: range.from, to: range.to }))
    const accuracy = accuracyPanel
    root.replaceChildren(
      h('div', { class: 'station-head' },
        back,
        h('h2', { id: 'station-title', class: 'station-title' },
          h('span', { class: 'row-dot', 'aria-hidden': 'true', 'data-status': s.status }),
          displayName(s),
          h('span', { class: 'station-river' }, s.river)),
        h('div', { class: 'station-actions' }, exportLink, print)),
      figures(s),
      tabs(levelParts, accuracy),
      ...levelParts,
      accuracy
    )
    root.dataset.status = s.status
    if (hydro === undefined) {
      hydro = createHydrograph(chart)
      hydro.onZoom((from, to) => {
        // drag-zoom: fetch the narrower range at its own (finer) resolution
        range = { key: 'custom', from: Math.round(from), to: Math.round(to) }
        void load(false)
      })
    }
  }

  async function load (rerender = true): Promise<void> {
    if (station === undefined) return
    abort?.abort()
    const controller = new AbortController()
    abort = controller
    if (rerender) render()
    root.dataset.loading = 'true'
    status.textContent = tv('station.loading')
    try {
      const series = await fetchSeries(station.id, range.from, range.to, POINTS, controller.signal)
      if (controller.signal.aborted) return
      const latest = station.latest
      const rate = trend?.rateMPerHour ?? null
      lastRenderMs = await hydro!.draw({
        points: series.points,
        bucketMs: series.bucketMs,
        from: range.from,
        to: range.to,
        thresholds: station.thresholds,
        alerts,
        gaps: series.gaps.map(g => [Date.parse(g.from), Date.parse(g.to)] as [number, number]),
        episodes: series.episodes.map(e => [Date.parse(e.start), Date.parse(e.end)] as [number, number]),
        forecast: latest === null || rate === null || rate <= 0 ? null : { time: Date.parse(latest.time), level: latest.level, rate, target: trend?.next?.value ?? null }
      })
      status.textContent = series.points.length === 0
        ? tv('station.empty')
        : `${tv('station.resolution', { n: series.points.length, w: formatDuration(series.bucketMs / HOUR) })} · ${tv('station.renderMs', { ms: lastRenderMs.toFixed(0) })}`
      root.dataset.points = String(series.points.length)
      root.dataset.gaps = String(series.gaps.length)
      root.dataset.episodes = String(series.episodes.length)
      root.querySelector('.station-events')?.replaceWith(eventList(series))
      root.dataset.range = range.key
      if (!rerender) root.querySelector('.station-alert-section ol, .station-alerts-empty')?.replaceWith(alertList())
    } catch (err) {
      if ((err as Error).name === 'AbortError') return
      status.textContent = tv('station.error', { msg: (err as Error).message })
    } finally {
      if (abort === controller) root.dataset.loading = 'false'
    }
  }

  const onResize = (): void => { hydro?.resize() }

  return {
    get lastRenderMs () { return lastRenderMs },
    async open (id) {
      hydro?.destroy()
      hydro = undefined
      tab = 'levels'
      accuracyPanel = undefined
      root.replaceChildren(h('p', {}, tv('station.loading')))
      root.hidden = false
      try {
        const [s, trends, history] = await Promise.all([fetchStation(id), fetchTrends(), fetchSubjectAlerts(id)])
        station = s
        trend = trends.find(x => x.stationId === id)
        alerts = history.filter(a => a.kind === 'river')
      } catch (err) {
        root.replaceChildren(h('p', { role: 'alert' }, tv('station.error', { msg: (err as Error).message })))
        return
      }
      const to = Date.now()
      range = { key: '24h', from: to - 24 * HOUR, to }
      window.addEventListener('resize', onResize)
      await load()
      // the page may have been left (another view) while it loaded: then there is no title to focus
      document.getElementById('station-title')?.focus()
    },
    close () {
      abort?.abort()
      window.removeEventListener('resize', onResize)
      hydro?.destroy()
      hydro = undefined
      station = undefined
      root.hidden = true
      root.replaceChildren()
    },
    relabel () {
      if (station !== undefined) void load()
    }
  }
}
