import { getJson } from './api.js'
import { byId, h } from './dom.js'
import { openAdvisoryDialog } from './advisory-dialog.js'

/** what GET /api/official/suggestions returns (dashboard/server/routes/official.ts) */
interface Reason { level: number, kind: string, text: string, since: number }
interface Suggestion { areaCode: string, areaName: string, level: number, since: number | null, reasons: Reason[] }
interface SuggestionsBody { attribution: string, suggestions: Suggestion[] }

const NAMES: Record<number, string> = { 3: '高齢者等避難', 4: '避難指示', 5: '緊急安全確保' }
const REFRESH_MS = 60_000

const time = (ms: number): string => new Date(ms).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })

/**
 * 判断補助 in the alerts panel: per configured area the suggested 警戒レベル and each reason with
 * its time, and that it is a suggestion; the chip takes the guideline's colour from style.css
 * (data-level). Text nodes only (reasons quote telegram titles).
 */
export function createOfficialPanel (): { load(): Promise<void>, close(): void } {
  const section = byId('official-section')
  const list = byId('official-list')
  const source = byId('official-source')
  async function load (): Promise<void> {
    let body: SuggestionsBody
    try {
      body = await getJson<SuggestionsBody>('/api/official/suggestions')
    } catch {
      return // official information not followed, or not allowed for this role
    }
    section.hidden = body.suggestions.length === 0
    source.textContent = body.attribution
    list.replaceChildren(...body.suggestions.map(s => h('li', { class: 'official-area', 'data-area': s.areaCode, 'data-level': s.level },
      h('div', { class: 'official-head' },
        h('span', { class: 'official-chip', 'data-level': s.level, title: s.level === 0 ? '' : `警戒レベル${s.level}` }),
        h('strong', {}, s.areaName), ' ',
        s.level === 0 ? '条件に該当なし' : `警戒レベル${s.level} ${NAMES[s.level] ?? ''}（提案）`,
        s.since === null ? null : h('span', { class: 'official-since' }, ` ${time(s.since)}〜`)),
      h('ul', { class: 'official-reasons' }, ...s.reasons.map(r => h('li', { 'data-kind': r.kind }, `L${r.level} ${r.text}（${time(r.since)}〜）`))),
      s.level === 0 ? null : draftButton(s))))
  }
  /** the advisory dialog, pre-filled from this suggestion; the person edits and issues (or not) */
  function draftButton (s: Suggestion): HTMLButtonElement {
    const b = h('button', { type: 'button', class: 'official-draft' }, '避難情報の下書き')
    b.addEventListener('click', () => { void openAdvisoryDialog({ officialArea: s.areaCode }) })
    return b
  }
  const timer = setInterval(() => { void load() }, REFRESH_MS)
  return { load, close () { clearInterval(timer) } }
}
