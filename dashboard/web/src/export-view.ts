import { byId, h } from './dom.js'
import { displayName } from './i18n.js'
import type { CameraView, StationView } from './types.js'
import { download, megabytes } from './download.js'
import { tv, type ViewKey } from './views-i18n.js'

const DATASETS = ['readings', 'detections', 'sightings', 'alerts'] as const
type Dataset = typeof DATASETS[number]

/** yyyy-mm-dd in Japan time, for <input type="date"> */
function jstDate (ms: number): string {
  return new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10)
}

/** the start of a JST day, as an ISO instant */
function jstStart (date: string): string {
  return new Date(`${date}T00:00:00+09:00`).toISOString()
}

function jstEnd (date: string): string {
  return new Date(Date.parse(`${date}T00:00:00+09:00`) + 86_400_000 - 1).toISOString()
}

export interface ExportView {
  open(stations: StationView[], cameras: CameraView[], preselect?: string): void
  close(): void
  relabel(): void
}

/** Researchers' export form: dataset, stations or cameras, days (JST), CSV or Parquet, with a progress bar. */
export function createExportView (): ExportView {
  const root = byId('export-view')
  let stations: StationView[] = []
  let cameras: CameraView[] = []
  const state = { dataset: 'readings' as Dataset, ids: new Set<string>(), from: jstDate(Date.now() - 7 * 86_400_000), to: jstDate(Date.now()), format: 'csv' }
  let running: AbortController | undefined

  function subjects (): Array<{ id: string, label: string }> {
    const list = state.dataset === 'detections' || state.dataset === 'sightings' ? cameras : state.dataset === 'alerts' ? [...stations, ...cameras] : stations
    return list.map(s => ({ id: s.id, label: displayName(s) }))
  }

  function render (): void {
    const dataset = h('select', { id: 'export-dataset', name: 'dataset' }, ...DATASETS.map(d => h('option', { value: d, selected: d === state.dataset }, tv(`export.dataset.${d}` as ViewKey))))
    dataset.addEventListener('change', () => { state.dataset = dataset.value as Dataset; state.ids.clear(); render() })
    const boxes = subjects().map(s => {
      const box = h('input', { type: 'checkbox', name: 'ids', value: s.id, checked: state.ids.has(s.id) })
      box.addEventListener('change', () => { if (box.checked) state.ids.add(s.id); else state.ids.delete(s.id) })
      return h('label', { class: 'export-subject' }, box, ' ', s.label)
    })
    const from = h('input', { type: 'date', id: 'export-from', name: 'from', value: state.from, required: true })
    const to = h('input', { type: 'date', id: 'export-to', name: 'to', value: state.to, required: true })
    from.addEventListener('change', () => { state.from = from.value })
    to.addEventListener('change', () => { state.to = to.value })
    const formats = ['csv', 'parquet'].map(f => {
      const r = h('input', { type: 'radio', name: 'format', value: f, checked: state.format === f })
      r.addEventListener('change', () => { if (r.checked) state.format = f })
      return h('label', {}, r, ' ', f === 'csv' ? 'CSV' : 'Parquet')
    })
    const progress = h('progress', { id: 'export-progress', max: 1, value: 0, hidden: true })
    const message = h('p', { id: 'export-status', class: 'export-status', role: 'status', 'aria-live': 'polite' })
    const start = h('button', { type: 'submit', id: 'export-start', class: 'primary' }, tv('export.start'))
    const cancel = h('button', { type: 'button', id: 'export-cancel', hidden: true }, tv('export.cancel'))
    cancel.addEventListener('click', () => { running?.abort() })
    const form = h('form', { class: 'export-form', novalidate: true },
      h('h2', {}, tv('export.title')),
      h('p', { class: 'export-note' }, tv('export.note')),
      h('label', { class: 'field' }, tv('export.dataset'), ' ', dataset),
      h('fieldset', { class: 'export-subjects' }, h('legend', {}, tv('export.subjects')), ...boxes),
      h('div', { class: 'field-row' }, h('label', { class: 'field' }, tv('export.from'), ' ', from), h('label', { class: 'field' }, tv('export.to'), ' ', to)),
      h('fieldset', { class: 'export-format' }, h('legend', {}, tv('export.format')), ...formats),
      h('div', { class: 'field-row' }, start, cancel),
      progress,
      message)
    form.addEventListener('submit', ev => {
      ev.preventDefault()
      void run(start, cancel, progress, message)
    })
    root.replaceChildren(form)
  }

  async function run (start: HTMLButtonElement, cancel: HTMLButtonElement, progress: HTMLProgressElement, message: HTMLElement): Promise<void> {
    const q = new URLSearchParams({ dataset: state.dataset, format: state.format, from: jstStart(state.from), to: jstEnd(state.to) })
    if (state.ids.size > 0) q.set('ids', [...state.ids].join(','))
    running = new AbortController()
    start.disabled = true
    cancel.hidden = false
    progress.hidden = false
    progress.removeAttribute('value')
    root.dataset.export = 'running'
    try {
      const done = await download(`/api/export?${q.toString()}`, p => {
        if (p.estimate > 0 && p.rows > 0) progress.value = Math.min(1, p.rows / p.estimate)
        message.textContent = tv('export.progress', { rows: p.rows.toLocaleString(), total: p.estimate.toLocaleString(), mb: megabytes(p.bytes) })
      }, running.signal)
      progress.value = 1
      message.textContent = tv('export.done', { rows: done.rows === null ? '—' : done.rows.toLocaleString(), mb: megabytes(done.bytes), file: done.file })
      root.dataset.rows = done.rows === null ? '' : String(done.rows)
      root.dataset.export = 'done'
    } catch (err) {
      message.textContent = tv('export.failed', { msg: (err as Error).message })
      root.dataset.export = 'failed'
    } finally {
      start.disabled = false
      cancel.hidden = true
      running = undefined
    }
  }

  return {
    open (s, c, preselect) {
      stations = s
      cameras = c
      if (preselect !== undefined) {
        state.dataset = 'readings'
        state.ids = new Set([preselect])
      }
      root.hidden = false
      render()
    },
    close () {
      running?.abort()
      root.hidden = true
    },
    relabel () {
      if (!root.hidden && running === undefined) render()
    }
  }
}
