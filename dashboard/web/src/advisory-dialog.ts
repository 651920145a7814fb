import type { Static } from 'typebox'
import type { AdvisoryBody } from '../../contract/index.js'
import { tv2 } from './advisory-i18n.js'
import { confirmDialog } from './confirm-dialog.js'
import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { csrfHeaders } from './session.js'

/** GET/POST /api/advisories (server: dashboard/server/routes/notify.ts) */
export type AdvisoryView = Static<typeof AdvisoryBody>

async function post<T> (url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() }, body: JSON.stringify(body) })
  const json = await res.json().catch(() => ({})) as T & { message?: string }
  if (!res.ok) throw new Error(json.message ?? `${res.status}`)
  return json
}

const levelName = (l: number): string => tv2(`adv.l${l}`)

/**
 * 判断補助: the dialog drafts an advisory from an alert (the server fills the
 * text from the river, station, level, trend and forecast), lets the person edit
 * level, area and text, then asks once more before it goes out. With `existing`
 * it sends an update of an issued advisory instead.
 */
export async function openAdvisoryDialog (o: { alertId?: string, stationId?: string, level: number, existing?: AdvisoryView }): Promise<AdvisoryView | undefined> {
  const start = Math.min(5, Math.max(3, o.level)) as 3 | 4 | 5
  const dialog = h('dialog', { class: 'advisory-dialog', id: 'advisory-dialog', 'aria-labelledby': 'advisory-title' })
  const form = h('form', { method: 'dialog' })
  const radios = ([3, 4, 5] as const).map(l => {
    const input = h('input', { type: 'radio', name: 'advisory-level', value: String(l), checked: l === (o.existing?.level ?? start) })
    return { l, input, label: h('label', { class: `advisory-l${l}` }, input, ` ${levelName(l)}`) }
  })
  const area = h('input', { type: 'text', id: 'advisory-area', maxlength: '200', value: o.existing?.area ?? '' })
  const text = h('textarea', { id: 'advisory-text', maxlength: '2000' })
  text.value = o.existing?.text ?? tv2('adv.drafting')
  const status = h('p', { class: 'advisory-status', role: 'status', 'aria-live': 'polite' })
  const cancel = h('button', { type: 'submit', value: 'cancel', class: 'advisory-cancel' }, tv2('adv.cancel'))
  const next = h('button', { type: 'button', class: 'advisory-issue advisory-next', id: 'advisory-next' }, tv2('adv.next'))
  form.append(
    h('h2', { id: 'advisory-title' }, tv2(o.existing === undefined ? 'adv.title' : 'adv.updateTitle')),
    h('p', { class: 'advisory-note' }, tv2('adv.note')),
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
  const redraft = async (): Promise<void> => {
    if (o.existing !== undefined) return
    const level = Number(radios.find(r => r.input.checked)?.l ?? start)
    next.disabled = true
    try {
      draft = await post<AdvisoryView>('/api/advisories/draft', { ...(o.alertId === undefined ? {} : { alertId: o.alertId }), ...(o.stationId === undefined ? {} : { stationId: o.stationId }), level, ...(area.value.trim() === '' ? {} : { area: area.value.trim() }) })
      if (area.value.trim() === '') area.value = draft.area
      if (!edited) text.value = draft.text
      status.textContent = ''
    } catch (err) {
      status.textContent = tv2('adv.failed', { msg: (err as Error).message })
    } finally {
      next.disabled = false
    }
  }
  for (const r of radios) r.input.addEventListener('change', () => { edited = false; void redraft() })
  await redraft()

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
          status.textContent = tv2('adv.issued', { at: formatDateTime(result.updatedAt) })
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
    const res = await fetch('/api/advisories', { headers: { accept: 'application/json' }, cache: 'no-store' })
    if (!res.ok) return
    const items = (await res.json() as AdvisoryView[]).filter(a => a.status === 'issued')
    section.hidden = items.length === 0
    list.replaceChildren(...items.map(a => {
      const update = h('button', { type: 'button', class: 'advisory-update' }, tv2('adv.updateIt'))
      update.addEventListener('click', () => { void openAdvisoryDialog({ level: a.level, existing: a }).then(load) })
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
        h('time', { datetime: a.updatedAt }, formatDateTime(a.updatedAt)),
        canAct() ? h('span', { class: 'advisory-item-actions' }, update, cancel) : null)
    }))
  }
  document.addEventListener('mimamori:advisory', () => { void load() })
  return { load }
}
