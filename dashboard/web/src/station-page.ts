import { byId, h } from './dom.js'
import { displayName } from './i18n.js'
import { createHydrograph, type Hydrograph } from './hydrograph.js'
import type { AlertView } from './alerts-api.js'
import type { StationTrend, StationView } from './types.js'
import { fetchSeries, fetchStation, fetchSubjectAlerts, fetchTrends } from './views-api.js'
import { formatDuration, tv } from './views-i18n.js'
import { createAccuracyPanel } from './station-accuracy.js'
import { hydrographData, stationFigures, stationHead } from './station-figures.js'
import { alertList, alertSection, eventList, type ShownRange } from './station-lists.js'
import { rangeButtons, stationTabs, type StationTab } from './station-controls.js'

export { lastReceived } from './station-figures.js'

const HOUR = 3_600_000
/** 30 days at 10-minute resolution is 4320 points: ask for enough that it comes back raw */
const POINTS = 5000

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
  let range: ShownRange = { key: '24h', from: 0, to: 0 }
  let abort: AbortController | undefined
  let lastRenderMs = 0
  // kept across re-renders (range buttons re-render the page) so the chosen reference and result stay
  let tab: StationTab = 'levels'
  let accuracyPanel: HTMLElement | undefined
  const status = h('p', { class: 'station-status', role: 'status' })
  const show = (next: ShownRange): void => {
    range = next
    void load()
  }
  const alertsInRange = (): HTMLElement => alertList(alerts, range, (from, to) => { show({ key: 'event', from, to }) })

  function render (): void {
    if (station === undefined) return
    const s = station
    const chart = root.querySelector<HTMLElement>('.hydrograph') ?? h('div', { class: 'hydrograph', 'aria-label': `${displayName(s)} ${tv('station.legend.level')}` })
    const levelParts = [
      h('div', { class: 'station-controls' }, rangeButtons(range, show), h('span', { class: 'zoom-hint' }, tv('station.zoomHint'))),
      chart,
      status,
      eventList(undefined),
      alertSection(alertsInRange())
    ]
    const accuracy = accuracyPanel ??= createAccuracyPanel(s.id, () => ({ from: range.from, to: range.to }))
    root.replaceChildren(
      stationHead(s),
      stationFigures(s, trend),
      stationTabs(levelParts, accuracy, tab, which => { tab = which }),
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
      lastRenderMs = await hydro!.draw(hydrographData(series, station, trend, alerts, range))
      status.textContent = series.points.length === 0
        ? tv('station.empty')
        : `${tv('station.resolution', { n: series.points.length, w: formatDuration(series.bucketMs / HOUR) })} · ${tv('station.renderMs', { ms: lastRenderMs.toFixed(0) })}`
      Object.assign(root.dataset, { points: String(series.points.length), gaps: String(series.gaps.length), episodes: String(series.episodes.length) })
      root.querySelector('.station-events')?.replaceWith(eventList(series))
      root.dataset.range = range.key
      if (!rerender) root.querySelector('.station-alert-section ol, .station-alerts-empty')?.replaceWith(alertsInRange())
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
