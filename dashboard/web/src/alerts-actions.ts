import { AlertApiError, postGroupAction, type AlertAction, type AlertView } from './alerts-api.js'
import { ruleLabel } from './alerts-list.js'
import { tv2 } from './advisory-i18n.js'
import { confirmDialog } from './confirm-dialog.js'
import { byId } from './dom.js'
import { t } from './i18n.js'
import type { Operator } from './alerts-operator.js'

export interface ActionDeps {
  operator: Operator
  subjectName(a: AlertView): string
  /** the server's answer: the alerts after the change */
  applied(alerts: AlertView[]): void
  /** the ids being sent (buttons disabled) changed */
  busyChanged(): void
  /** after a refusal: reload the real states */
  reload(): void
}

/**
 * 確認 / 解除 on a station event: ONE request for the whole group (POST
 * /api/alerts/group/…), so people get one message for it. Resolving asks first
 * (it is also sent to people). Errors stay in `#alert-action-error` until closed.
 */
export function createAlertActions (deps: ActionDeps): { actOn(members: AlertView[], action: AlertAction): Promise<boolean>, busy(id: string): boolean } {
  const errorBox = byId('alert-action-error')
  const errorText = byId('alert-action-error-text')
  const busy = new Set<string>()
  const showError = (message: string | null): void => {
    errorBox.hidden = message === null
    errorText.textContent = message ?? ''
  }
  byId('alert-action-error-close').addEventListener('click', () => { showError(null) })

  async function actOn (members: AlertView[], action: AlertAction): Promise<boolean> {
    const first = members[0]
    if (first === undefined) return false
    const what = `${deps.subjectName(first)} ${ruleLabel(first)}`
    if (action === 'resolve') {
      const ok = await confirmDialog({
        title: tv2('resolve.title'),
        message: members.length > 1 ? tv2('resolve.group', { what, n: members.length }) : tv2('resolve.message', { what }),
        confirm: tv2('resolve.yes'),
        cancel: tv2('resolve.no'),
        danger: true
      })
      if (!ok) return false
    }
    // the typed name only matters on setups without sign-in; the server records the account
    if (await deps.operator.ask() === null) return false
    const targets = action === 'ack' ? members.filter(m => m.state !== 'acknowledged') : members
    if (targets.length === 0) return true
    for (const m of targets) busy.add(m.id)
    deps.busyChanged()
    try {
      deps.applied(await postGroupAction(targets.map(m => m.id), action))
      showError(null)
      return true
    } catch (err) {
      const e = err instanceof AlertApiError ? err : new AlertApiError(0, 'MIMAMORI_ERR_NETWORK', String(err))
      const hint = e.code === 'MIMAMORI_ERR_ALERT_STATE' ? t('alert.err.state') : e.status === 0 ? t('alert.err.network') : t('alert.err.refused')
      showError(t('alert.err.format', { action: t(action === 'ack' ? 'alert.ack' : 'alert.resolve'), what, hint, code: e.code, message: e.message }))
      deps.reload()
      return false
    } finally {
      for (const m of targets) busy.delete(m.id)
      deps.busyChanged()
    }
  }

  return { actOn, busy: id => busy.has(id) }
}
