import type uPlot from 'uplot'
import { gapsAndAlerts, thresholdLines, toColumns, yRange, type HydrographData } from './hydrograph-draw.js'
import { loadUplot } from './uplot-loader.js'
import { tv } from './views-i18n.js'

export { alertSpan, type HydrographData } from './hydrograph-draw.js'

export interface Hydrograph {
  draw(data: HydrographData): Promise<number>
  /** the x range the user zoomed to (ms) */
  onZoom(fn: (from: number, to: number) => void): void
  resize(): void
  destroy(): void
}

/**
 * The station hydrograph on uPlot: mean level per bucket, the bucket's max/min
 * as a band, QC-flagged buckets as orange points, gaps (欠測) shaded, the five
 * MLIT thresholds and 観測開始水位 as labelled lines, the linear forecast to
 * the next threshold dashed, and the station's alerts as a strip on the same
 * time axis. Drag to zoom (the caller refetches at the finer resolution).
 */
export function createHydrograph (host: HTMLElement): Hydrograph {
  let plot: uPlot | undefined
  let current: HydrographData | undefined
  let zoomListener: ((from: number, to: number) => void) | undefined
  /** where the forecast line ends (ms): a range reaching the present widens to show it */
  let forecastEnd = 0
  const columns = (d: HydrographData): uPlot.AlignedData => {
    const c = toColumns(d)
    forecastEnd = c.forecastEnd
    return c.data
  }

  async function make (d: HydrographData): Promise<uPlot> {
    const U = await loadUplot()
    const width = Math.max(320, host.clientWidth)
    const opts: uPlot.Options = {
      width,
      height: Math.max(260, Math.min(440, Math.round(width * 0.45))),
      tzDate: ts => U.tzDate(new Date(ts * 1000), 'Asia/Tokyo'),
      scales: {
        x: { time: true },
        y: { range: () => yRange(current!) }
      },
      axes: [
        { stroke: '#334155', grid: { stroke: '#e2e8f0' } },
        { stroke: '#334155', grid: { stroke: '#e2e8f0' }, label: 'm', values: (_u, splits) => splits.map(v => v.toFixed(2)) }
      ],
      series: [
        // uPlot's default x label is the English "Time"
        { label: tv('chart.time') },
        { label: tv('station.legend.level'), stroke: '#1d4ed8', width: 2, spanGaps: false, points: { show: false } },
        { label: tv('station.legend.max'), stroke: 'rgba(29, 78, 216, 0.25)', width: 1, points: { show: false } },
        { label: tv('station.legend.min'), stroke: 'rgba(29, 78, 216, 0.25)', width: 1, points: { show: false } },
        { label: tv('station.legend.flagged'), stroke: '#c2410c', fill: '#fb923c', width: 0, paths: () => null, points: { show: true, size: 7, stroke: '#c2410c', fill: '#fb923c' } },
        { label: tv('station.legend.forecast'), stroke: '#7c3aed', width: 2, dash: [8, 6], spanGaps: true, points: { show: false } }
      ],
      bands: [{ series: [2, 3], fill: 'rgba(29, 78, 216, 0.10)' }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        drawClear: [u => { gapsAndAlerts(u, current) }],
        draw: [u => { thresholdLines(u, current) }],
        // a drag selects a span (the scale stays): the caller refetches it at its own resolution and redraws
        setSelect: [u => {
          if (zoomListener === undefined || u.select.width < 4) return
          const from = u.posToVal(u.select.left, 'x') * 1000
          const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
          zoomListener(from, to)
        }]
      }
    }
    return new U(opts, columns(d), host)
  }

  return {
    async draw (d) {
      const started = performance.now()
      current = d
      if (plot === undefined) plot = await make(d)
      else plot.setData(columns(d), false)
      const reachesNow = Date.now() - d.to < 15 * 60_000
      plot.setScale('x', { min: d.from / 1000, max: (reachesNow ? Math.max(d.to, forecastEnd) : d.to) / 1000 })
      // uPlot may commit on the next frame: measure to the frame that shows it
      await new Promise(resolve => requestAnimationFrame(resolve))
      return performance.now() - started
    },
    onZoom (fn) { zoomListener = fn },
    resize () {
      if (plot === undefined) return
      const width = Math.max(320, host.clientWidth)
      plot.setSize({ width, height: Math.max(260, Math.min(440, Math.round(width * 0.45))) })
    },
    destroy () {
      plot?.destroy()
      plot = undefined
    }
  }
}
