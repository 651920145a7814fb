import type { Static } from 'typebox'
import type { AdvisoryBody, AdvisorySuggestionBody } from '../../contract/index.js'
import { tv2 } from './advisory-i18n.js'
import { confirmDialog } from './confirm-dialog.js'
import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { csrfHeaders } from './session.js'

/** GET/POST /api/advisories (server: dashboard/server/routes/notify.ts) */
export type AdvisoryView = Static<typeof AdvisoryBody>

/** POST /api/advisories/draft: what the current measurements suggest (server: notify/advisory.ts) */
export type AdvisorySuggestion = Static<typeof AdvisorySuggestionBody>

/** the CAP message of one advisory version (notify/message.ts capIdentifier) */
export function capUrl (a: Pick<AdvisoryView, 'id' | 'version' | 'status'>): string {
  return `/api/cap/mimamori-${encodeURIComponent(a.id)}-v${a.version}${a.status === 'cancelled' ? '-cancel' : ''}.xml`
}

/** 発令しました … with the CAP entry, kept on screen under the alert list until closed */
function showIssued (a: AdvisoryView): void {
  const host = document.getElementById('advisory-section')?.parentElement ?? document.body
  document.getElementById('advisory-issued')?.remove()
  const close = h('button', { type: 'button', class: 'advisory-issued-close', 'aria-label': tv2('adv.close') }, '×')
  const box = h('div', { class: 'advisory-issued', id: 'advisory-issued', role: 'status', 'data-advisory-id': a.id },
    h('p', {}, `${a.drill ? tv2('adv.drill') : ''}${tv2(a.version > 1 ? 'adv.updatedAt' : 'adv.issuedAt', { name: levelName(a.level), area: a.area, at: formatDateTime(a.updatedAt) })}`),
    h('p', {}, h('a', { href: capUrl(a), class: 'advisory-cap-link', target: '_blank', rel: 'noopener' }, tv2('adv.capEntry')), ' · ',
      h('a', { href: '/api/cap/feed.atom', class: 'advisory-feed-link', target: '_blank', rel: 'noopener' }, tv2('adv.capFeed'))),
    close)
  close.addEventListener('click', () => { box.remove() })
  host.prepend(box)
}

async function post<T> (url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() }, body: JSON.stringify(body) })
  const json = await res.json().catch(() => ({})) as T & { message?: string }
  if (!res.ok) throw new Error(json.message ?? `${res.status}`)
  return json
}

const levelName = (l: number): string => tv2(`adv.l${l}`)

/** 観測値からの目安: 警戒レベル3（現在 3.04 m・下降中） — why the level is preselected */
function suggestionText (s: AdvisorySuggestion): string {
  return tv2('adv.basis', {
    level: s.level,
    now: s.levelM === null ? tv2('adv.levelUnknown') : `${s.levelM.toFixed(2)} m`,
    trend: tv2(`trend.${s.trend}`),
    at: s.at === null ? '—' : formatDateTime(s.at)
  })
}

/**
 * 判断補助: the dialog drafts an advisory from an alert (the server fills the
 * text from the river, station, level, trend and forecast), lets the person edit
 * level, area and text, then asks once more before it goes out. With `existing`
 * it sends an update of an issued advisory instead. With `officialArea` the server pre-fills
 * level, area and reasons from that area's 判断補助 suggestion (official/).
 */
export async function openAdvisoryDialog (o: { alertId?: string, stationId?: string, existing?: AdvisoryView, officialArea?: string }): Promise<AdvisoryView | undefined> {
  const start = o.existing?.level ?? 3
  const dialog = h('dialog', { class: 'advisory-dialog', id: 'advisory-dialog', 'aria-labelledby': 'advisory-title' })
  const form = h('form', { method: 'dialog' })
  const radios = ([3, 4, 5] as const).map(l => {
    const input = h('input', { type: 'radio', name: 'advisory-level', value: String(l), checked: o.existing !== undefined && l === start })
    return { l, input, label: h('label', { class: `advisory-l${l}` }, input, ` ${levelName(l)}`) }
  })
  const area = h('input', { type: 'text', id: 'advisory-area', maxlength: '200', value: o.existing?.area ?? '' })
  const text = h('textarea', { id: 'advisory-text', maxlength: '2000' })
  text.value = o.existing?.text ?? tv2('adv.drafting')
  const status = h('p', { class: 'advisory-status', role: 'status', 'aria-live': 'polite' })
  const basis = h('p', { class: 'advisory-basis', id: 'advisory-basis' })
  const cancel = h('button', { type: 'submit', value: 'cancel', class: 'advisory-cancel' }, tv2('adv.cancel'))
  const next = h('button', { type: 'button', class: 'advisory-issue advisory-next', id: 'advisory-next' }, tv2('adv.next'))
  form.append(
    h('h2', { id: 'advisory-title' }, tv2(o.existing === undefined ? 'adv.title' : 'adv.updateTitle')),
    h('p', { class: 'advisory-note' }, tv2('adv.note')),
    basis,
    h('fieldset', { class: 'advisory-levels' }, h('legend', { class: 'visually-hidden' }, tv2('adv.level')), ...radios.map(r => r.label)),
    h('label', {}, tv2('adv.area'), area),
    h('label', {}, tv2('adv.text'), text),
    status,
    h('div', { class: 'advisory-buttons' }, cancel, next))
  dialog.append(form)
  document.body.append(dialog)
  dialog.showModal()

  let draft: AdvisoryView | undefined = o.existing
  let edited = false
  text.addEventListener('input', () => { edited = true })
  /** first draft: the server picks the level from the current level and trend; later ones: the person's choice */
  const redraft = async (chosen: boolean): Promise<void> => {
    if (o.existing !== undefined) return
    const level = chosen ? radios.find(r => r.input.checked)?.l : undefined
    next.disabled = true
    try {
      const answer = await post<AdvisoryView & { suggestion: AdvisorySuggestion | null }>('/api/advisories/draft', { ...(o.alertId === undefined ? {} : { alertId: o.alertId }), ...(o.stationId === undefined ? {} : { stationId: o.stationId }), ...(o.officialArea === undefined ? {} : { officialArea: o.officialArea }), ...(level === undefined ? {} : { level }), ...(area.value.trim() === '' ? {} : { area: area.value.trim() }) })
      draft = answer
      if (!chosen) for (const r of radios) r.input.checked = r.l === answer.level
      if (answer.suggestion !== null) {
        basis.textContent = suggestionText(answer.suggestion)
        basis.dataset.level = String(answer.suggestion.level)
        basis.dataset.trend = answer.suggestion.trend
      }
      if (area.value.trim() === '') area.value = answer.area
      if (!edited) text.value = answer.text
      status.textContent = ''
    } catch (err) {
      status.textContent = tv2('adv.failed', { msg: (err as Error).message })
    } finally {
      next.disabled = false
    }
  }
  for (const r of radios) r.input.addEventListener('change', () => { edited = false; void redraft(true) })
  await redraft(false)

  return await new Promise(resolve => {
    dialog.addEventListener('close', () => { dialog.remove(); resolve(undefined) }, { once: true })
    next.addEventListener('click', () => {
      void (async () => {
        if (draft === undefined) return
        const level = Number(radios.find(r => r.input.checked)?.l ?? draft.level)
        const ok = await confirmDialog({
          title: `${draft.drill ? tv2('adv.drill') : ''}${levelName(level)}`,
          message: tv2('adv.confirm', { name: levelName(level), area: area.value.trim() || draft.area }),
          confirm: tv2(o.existing === undefined ? 'adv.issue' : 'adv.update'),
          cancel: tv2('adv.back'),
          danger: true
        })
        if (!ok) return
        try {
          const body = { text: text.value.trim(), area: area.value.trim() || draft.area }
          const result = o.existing === undefined
            ? await post<AdvisoryView>(`/api/advisories/${encodeURIComponent(draft.id)}/issue`, body)
            : await post<AdvisoryView>(`/api/advisories/${encodeURIComponent(draft.id)}/update`, { ...body, level })
          showIssued(result)
          document.dispatchEvent(new CustomEvent('mimamori:advisory', { detail: result }))
          dialog.close()
          resolve(result)
        } catch (err) {
          status.textContent = tv2('adv.failed', { msg: (err as Error).message })
        }
      })()
    })
  })
}

/** issued advisories with 更新 / 解除, refreshed after every change */
export function createAdvisoryList (host: HTMLElement, canAct: () => boolean): { load(): Promise<void> } {
  const list = h('ul', { class: 'advisory-list', id: 'advisory-list' })
  const section = h('section', { class: 'advisory-section', id: 'advisory-section', hidden: true }, h('h3', { class: 'panel-heading' }, tv2('adv.list')), list)
  host.append(section)
  const load = async (): Promise<void> => {
    let res: Response
    try {
      res = await fetch('/api/advisories', { headers: { accept: 'application/json' }, cache: 'no-store' })
    } catch {
      return // offline for a moment (or the page is going away): the list keeps what it showed
    }
    if (!res.ok) return
    const items = (await res.json() as AdvisoryView[]).filter(a => a.status === 'issued')
    section.hidden = items.length === 0
    list.replaceChildren(...items.map(a => {
      const update = h('button', { type: 'button', class: 'advisory-update' }, tv2('adv.updateIt'))
      update.addEventListener('click', () => { void openAdvisoryDialog({ existing: a }).then(load) })
      const cancel = h('button', { type: 'button', class: 'advisory-cancel-it' }, tv2('adv.cancelIt'))
      cancel.addEventListener('click', () => {
        void (async () => {
          const ok = await confirmDialog({ title: tv2('adv.cancelConfirmTitle'), message: tv2('adv.cancelConfirm', { name: levelName(a.level), area: a.area }), confirm: tv2('adv.cancelIt'), cancel: tv2('adv.back'), danger: true })
          if (!ok) return
          await post(`/api/advisories/${encodeURIComponent(a.id)}/cancel`, {})
          await load()
        })()
      })
      return h('li', { class: 'advisory-item', 'data-advisory-id': a.id, 'data-level': String(a.level) },
        h('strong', {}, `${a.drill ? tv2('adv.drill') : ''}${a.headline}`), ' ',
        h('time', { datetime: a.updatedAt }, formatDateTime(a.updatedAt)), ' ',
        h('a', { href: capUrl(a), class: 'advisory-cap-link', target: '_blank', rel: 'noopener' }, 'CAP'),
        canAct() ? h('span', { class: 'advisory-item-actions' }, update, cancel) : null)
    }))
  }
  document.addEventListener('mimamori:advisory', () => { void load() })
  return { load }
}
