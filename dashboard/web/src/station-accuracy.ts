import type { EvaluateResponse } from '../../contract/index.js'
import { fetchStations, getJson } from './api.js'
import { h } from './dom.js'
import { formatDateTime } from './format.js'

const OUTCOME: Record<EvaluateResponse['crossings'][number]['outcome'], string> = { hit: '一致 / hit', miss: '見逃し / miss', falseAlarm: '空振り / false alarm' }
const m = (v: number | null): string => v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)} m`
const minutes = (ms: number | null): string => ms === null ? '—' : `${ms >= 0 ? '+' : ''}${Math.round(ms / 60_000)} 分 / min`
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

export function fetchEvaluation (id: string, reference: string, from: number, to: number, signal?: AbortSignal): Promise<EvaluateResponse> {
  const q = new URLSearchParams({ reference, from: new Date(from).toISOString(), to: new Date(to).toISOString() })
  return getJson<EvaluateResponse>(`/api/stations/${encodeURIComponent(id)}/evaluate?${q.toString()}`, signal)
}

function figure (label: string, value: string, key: string): HTMLElement {
  return h('div', { class: 'figure', 'data-metric': key }, h('dt', {}, label), h('dd', {}, value))
}

/** the report as figures and the crossing agreement table; every value goes in as text */
export function accuracyReport (r: EvaluateResponse): HTMLElement {
  const rows = r.crossings.map(c => h('tr', { 'data-outcome': c.outcome },
    h('td', {}, `${c.threshold.toFixed(2)} m${c.key === '' ? '' : ` (${c.key})`}`),
    h('td', {}, c.referenceTime === null ? '—' : formatDateTime(Date.parse(c.referenceTime))),
    h('td', {}, c.oursTime === null ? '—' : formatDateTime(Date.parse(c.oursTime))),
    h('td', {}, minutes(c.offsetMs)),
    h('td', {}, OUTCOME[c.outcome])))
  return h('div', { class: 'accuracy-report' },
    h('dl', { class: 'station-figures' },
      figure('バイアス / Bias', m(r.biasM), 'bias'),
      figure('RMSE', r.rmseM === null ? '—' : `${r.rmseM.toFixed(3)} m`, 'rmse'),
      figure('遅れ / Lag', minutes(r.lagMs), 'lag'),
      figure('遅れ補正後バイアス / Bias at lag', m(r.atLag.biasM), 'bias-at-lag'),
      figure('遅れ補正後RMSE / RMSE at lag', r.atLag.rmseM === null ? '—' : `${r.atLag.rmseM.toFixed(3)} m`, 'rmse-at-lag'),
      figure('欠測率 / Missing share', `${pct(r.missingShare.ours)}（参照 / reference ${pct(r.missingShare.reference)}）`, 'missing'),
      figure('比較数 / Pairs', String(r.pairs), 'pairs')),
    h('table', { class: 'accuracy-crossings' },
      h('caption', {}, '基準水位の超過一致 / Threshold crossing agreement'),
      h('thead', {}, h('tr', {}, h('th', {}, '水位 / Level'), h('th', {}, '参照 / Reference'), h('th', {}, '当局 / Ours'), h('th', {}, '差 / Offset'), h('th', {}, '判定 / Outcome'))),
      h('tbody', {}, ...rows)),
    rows.length === 0 ? h('p', {}, '期間中に基準水位の超過はありません / no threshold crossed in the range') : '')
}

/**
 * 精度評価 tab: pick a reference (another of our stations or an MLIT reference gauge) and compare
 * over the range the hydrograph shows. Researchers use it to judge a gauge before trusting it.
 */
export function createAccuracyPanel (stationId: string, range: () => { from: number, to: number }): HTMLElement {
  const select = h('select', { class: 'accuracy-reference', 'aria-label': '参照 / Reference' })
  const run = h('button', { type: 'button', class: 'accuracy-run' }, '評価 / Evaluate')
  const out = h('div', { class: 'accuracy-out', role: 'status' })
  const panel = h('section', { class: 'station-accuracy', id: 'station-accuracy', role: 'tabpanel' },
    h('div', { class: 'station-controls' }, select, run), out)
  void (async () => {
    const [ours, refs] = await Promise.all([
      fetchStations().catch(() => []),
      getJson<{ references: Array<{ id: string, name: string }> }>('/api/official/references').then(r => r.references).catch(() => [])
    ])
    for (const s of ours) if (s.id !== stationId) select.append(h('option', { value: s.id }, `${s.name} (${s.id})`))
    for (const r of refs) select.append(h('option', { value: r.id }, `国 ${r.name} (${r.id})`))
  })()
  run.addEventListener('click', () => {
    if (select.value === '') return
    const { from, to } = range()
    out.textContent = '計算中… / evaluating…'
    fetchEvaluation(stationId, select.value, from, to)
      .then(r => { out.replaceChildren(accuracyReport(r)); panel.dataset.lagMs = String(r.lagMs) })
      .catch((err: Error) => { out.textContent = `エラー / error: ${err.message}` })
  })
  return panel
}
