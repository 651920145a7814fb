import { h } from './dom.js'
import { tv, type ViewKey } from './views-i18n.js'
import type { ShownRange } from './station-lists.js'

const HOUR = 3_600_000
const RANGES: Array<{ key: string, label: ViewKey, ms: number }> = [
  { key: '6h', label: 'station.range.6h', ms: 6 * HOUR },
  { key: '24h', label: 'station.range.24h', ms: 24 * HOUR },
  { key: '7d', label: 'station.range.7d', ms: 7 * 24 * HOUR },
  { key: '30d', label: 'station.range.30d', ms: 30 * 24 * HOUR }
]

export type StationTab = 'levels' | 'accuracy'

/** 6h / 24h / 7d / 30d, the event button while one is shown, and ◀ ▶ half a range */
export function rangeButtons (range: ShownRange, show: (next: ShownRange) => void): HTMLElement {
  const group = h('div', { class: 'range-buttons', role: 'group', 'aria-label': tv('station.range') })
  for (const r of RANGES) {
    const b = h('button', { type: 'button', 'data-range': r.key, 'aria-pressed': String(range.key === r.key) }, tv(r.label))
    b.addEventListener('click', () => {
      const to = Date.now()
      show({ key: r.key, from: to - r.ms, to })
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
      show({ key: 'custom', from: to - span, to })
    })
    return b
  }
  group.prepend(pan(-1))
  group.append(pan(1))
  return group
}

/** 水位 (the hydrograph and alerts) or 精度評価; the level view's elements stay in place, hidden */
export function stationTabs (levelParts: HTMLElement[], accuracy: HTMLElement, initial: StationTab, chosen: (tab: StationTab) => void): HTMLElement {
  const bar = h('div', { class: 'station-tabs', role: 'tablist' })
  const show = (which: StationTab): void => {
    chosen(which)
    for (const el of levelParts) el.hidden = which !== 'levels'
    accuracy.hidden = which !== 'accuracy'
    for (const b of bar.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.tab === which))
  }
  for (const [key, label] of [['levels', '水位 / Levels'], ['accuracy', '精度評価 / Accuracy']] as const) {
    const b = h('button', { type: 'button', role: 'tab', 'data-tab': key, 'aria-selected': String(key === initial) }, label)
    b.addEventListener('click', () => { show(key) })
    bar.append(b)
  }
  show(initial)
  return bar
}

