import type { AccuracyReport } from './metrics.js'
import type { Point } from './series.js'

const esc = (s: string): string => s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]!))
const fmt = (v: number | null, d = 3): string => v === null ? '—' : v.toFixed(d)

/** A self-contained SVG: both series over the window, the thresholds, and the figures beside them. */
export function accuracySvg (ours: Point[], reference: Point[], r: AccuracyReport, labels: { ours: string, reference: string }): string {
  const W = 900; const H = 420; const L = 60; const R = 260; const T = 30; const B = 40
  const inWin = (s: Point[]): Point[] => s.filter(p => p.time >= r.window.from && p.time <= r.window.to)
  const o = inWin(ours); const f = inWin(reference)
  const all = [...o, ...f].map(p => p.level).concat(r.crossings.map(c => c.threshold))
  const lo = Math.min(...all); const hi = Math.max(...all)
  const span = hi - lo || 1
  const x = (t: number): number => L + (t - r.window.from) / Math.max(1, r.window.to - r.window.from) * (W - L - R)
  const y = (v: number): number => T + (hi - v) / span * (H - T - B)
  const line = (s: Point[], colour: string, dash = ''): string => {
    const pts = s.map(p => `${x(p.time).toFixed(1)},${y(p.level).toFixed(1)}`).join(' ')
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dash === '' ? '' : ` stroke-dasharray="${dash}"`} points="${pts}"/>`
  }
  const thresholds = [...new Set(r.crossings.map(c => c.threshold))].map(t =>
    `<line x1="${L}" x2="${W - R}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#aa00aa" stroke-dasharray="2 3"/><text x="${L + 4}" y="${(y(t) - 3).toFixed(1)}" font-size="10" fill="#aa00aa">${t} m</text>`).join('')
  const hits = r.crossings.filter(c => c.outcome === 'hit')
  const figures = [
    `bias ${fmt(r.biasM)} m`, `RMSE ${fmt(r.rmseM)} m`, `lag ${r.lagMs === null ? '—' : `${Math.round(r.lagMs / 60_000)} min`} (r=${fmt(r.correlationAtLag)})`,
    `at lag: bias ${fmt(r.atLag.biasM)} RMSE ${fmt(r.atLag.rmseM)}`,
    `missing: ours ${(r.missingShare.ours * 100).toFixed(1)} %, ref ${(r.missingShare.reference * 100).toFixed(1)} %`,
    `crossings: ${hits.length} hit, ${r.crossings.filter(c => c.outcome === 'miss').length} miss, ${r.crossings.filter(c => c.outcome === 'falseAlarm').length} false`,
    ...hits.slice(0, 8).map(c => `  ${c.threshold} m: ${c.offsetMs! < 0 ? 'early' : c.offsetMs! > 0 ? 'late' : 'on time'} ${Math.abs(Math.round(c.offsetMs! / 60_000))} min`)
  ].map((t, i) => `<text x="${W - R + 12}" y="${T + 16 + i * 16}" font-size="12">${esc(t)}</text>`).join('')
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<title>${esc(`精度評価 ${labels.ours} vs ${labels.reference}`)}</title>
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${L}" y="18" font-size="13">${esc(`精度評価 accuracy: ${labels.ours} (red) vs ${labels.reference} (blue)`)}</text>
<text x="${L}" y="${H - 12}" font-size="10">${esc(`${new Date(r.window.from).toISOString()} – ${new Date(r.window.to).toISOString()}, step ${Math.round(r.stepMs / 60_000)} min`)}</text>
${thresholds}${line(f, '#1f5fbf')}${line(o, '#d62728', '4 2')}${figures}
</svg>
`
}
