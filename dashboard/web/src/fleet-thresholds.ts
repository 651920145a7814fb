import { h } from './dom.js'
import { formatDateTime } from './format.js'
import { tf } from './fleet-i18n.js'
import { FleetApiError, fleetApi, LEVEL_KEYS, type FleetStation, type Revision } from './fleet-api.js'

/**
 * One station's threshold history (every revision with its validity, source and who)
 * and the form for the next revision. Old revisions are never edited: a revision is
 * valid from its time on, so alerts raised before it keep the values they fired with.
 */
export async function renderThresholds (panel: HTMLElement, station: FleetStation, changed: () => void): Promise<void> {
  const { revisions } = await fleetApi<{ revisions: Revision[] }>(`/api/fleet/stations/${encodeURIComponent(station.id)}/thresholds`)
  const table = h('table', { class: 'admin-table', id: 'thresholds-history' },
    h('thead', {}, h('tr', {}, h('th', {}, tf('revision')), h('th', {}, tf('validFromCol')), ...LEVEL_KEYS.map(k => h('th', {}, tf(k))), h('th', {}, tf('source')), h('th', {}, tf('by')))),
    h('tbody', {}, ...revisions.map(r => h('tr', { 'data-revision': r.revision },
      h('td', {}, String(r.revision)),
      h('td', {}, Date.parse(r.validFrom) === 0 ? '—' : formatDateTime(r.validFrom)),
      ...LEVEL_KEYS.map(k => h('td', {}, r.thresholds[k] === undefined ? '' : (r.thresholds[k] as number).toFixed(2))),
      h('td', {}, r.source, r.reason === null ? '' : ` (${r.reason})`),
      h('td', {}, r.by)))))
  const current = revisions.at(-1)?.thresholds ?? station.thresholds
  const inputs = new Map<string, HTMLInputElement>()
  const field = (name: string, attrs: Record<string, string> = {}, value = ''): HTMLLabelElement => {
    const el = h('input', { name, id: `rev-${name}`, autocomplete: 'off', ...attrs })
    el.value = value
    el.addEventListener('input', () => { el.removeAttribute('aria-invalid') })
    inputs.set(name, el)
    return h('label', {}, tf(name as 'source'), el)
  }
  const error = h('p', { class: 'admin-error', role: 'alert' })
  const form = h('form', { class: 'fleet-form fleet-thresholds-form', id: 'thresholds-form', novalidate: true },
    h('fieldset', {}, h('legend', {}, tf('saveThresholds')),
      ...LEVEL_KEYS.map(k => field(k, { type: 'number', step: 'any' }, current[k] === undefined ? '' : String(current[k]))),
      field('source', { maxlength: '200' }), field('reason', { maxlength: '500' }), field('validFrom', { type: 'datetime-local' })),
    error,
    h('button', { type: 'submit', id: 'thresholds-submit' }, tf('saveThresholds')))
  form.onsubmit = ev => {
    ev.preventDefault()
    void (async () => {
      const num = (k: string): number | undefined => { const v = inputs.get(k)!.value.trim(); return v === '' ? undefined : Number(v) }
      const thresholds = Object.fromEntries(LEVEL_KEYS.map(k => [k, num(k)]))
      const local = inputs.get('validFrom')!.value
      try {
        await fleetApi(`/api/fleet/stations/${encodeURIComponent(station.id)}/thresholds`, {
          method: 'POST',
          body: { thresholds, source: inputs.get('source')!.value.trim(), reason: inputs.get('reason')!.value.trim(), ...(local === '' ? {} : { validFrom: new Date(local).toISOString() }) }
        })
        changed()
      } catch (err) {
        error.textContent = (err as Error).message
        if (err instanceof FleetApiError && err.field !== undefined) inputs.get(err.field)?.setAttribute('aria-invalid', 'true')
      }
    })()
  }
  panel.replaceChildren(h('h3', {}, tf('for', { name: `${station.name} (${station.id})` })), table, form)
}
