import { ta } from './auth-i18n.js'
import { h } from './dom.js'
import { onLangChange } from './i18n.js'
import { canAct, csrfHeaders } from './session.js'

type Mode = 'watch' | 'observe' | 'maintenance'
const MODES: Mode[] = ['watch', 'observe', 'maintenance']

/**
 * 設定変更 in a station popup (staff and admins): a gauge's mode with a reason
 * (POST /api/stations/:id/downlink; who and why go to the audit log). 保守
 * (maintenance) silences the gauge, so it asks for confirmation first.
 * The same node is re-attached on every popup render, so typed text survives live updates.
 */
export function createDownlinkForm (stationId: string, stationName: () => string): HTMLElement | null {
  if (!canAct()) return null
  const summary = h('summary', {})
  const mode = h('select', { name: 'mode', class: 'downlink-mode' })
  const reason = h('input', { name: 'reason', class: 'downlink-reason', required: true, minlength: 3, maxlength: 500 })
  const send = h('button', { type: 'submit', class: 'downlink-send' })
  const status = h('p', { class: 'downlink-status', role: 'status' })
  const modeLabel = h('span', {})
  const reasonLabel = h('span', {})
  const form = h('form', { class: 'downlink-form', 'data-station-id': stationId },
    h('label', {}, modeLabel, mode), h('label', {}, reasonLabel, reason), send, status)
  const root = h('details', { class: 'downlink' }, summary, form)

  const relabel = (): void => {
    summary.textContent = ta('downlink.title')
    modeLabel.textContent = ta('downlink.mode')
    reasonLabel.textContent = ta('downlink.reason')
    send.textContent = ta('downlink.send')
    const current = mode.value
    mode.replaceChildren(...MODES.map(m => h('option', { value: m }, ta(`downlink.mode.${m}`))))
    if (current !== '') mode.value = current
  }
  relabel()
  onLangChange(relabel)

  form.addEventListener('submit', ev => {
    ev.preventDefault()
    const chosen = mode.value as Mode
    if (reason.value.trim().length < 3) {
      reason.setCustomValidity(ta('downlink.reasonNeeded'))
      reason.reportValidity()
      return
    }
    if (chosen === 'maintenance' && !confirm(ta('downlink.confirmMaintenance', { name: stationName() }))) return
    send.disabled = true
    void (async () => {
      try {
        const res = await fetch(`/api/stations/${encodeURIComponent(stationId)}/downlink`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() },
          body: JSON.stringify({ mode: chosen, reason: reason.value.trim() })
        })
        const body = await res.json().catch(() => ({})) as { message?: string }
        status.textContent = res.ok ? ta('downlink.sent', { mode: ta(`downlink.mode.${chosen}`) }) : ta('downlink.failed', { message: body.message ?? String(res.status) })
        if (res.ok) reason.value = ''
      } catch (err) {
        status.textContent = ta('downlink.failed', { message: (err as Error).message })
      } finally {
        send.disabled = false
      }
    })()
  })
  reason.addEventListener('input', () => { reason.setCustomValidity('') })
  return root
}
