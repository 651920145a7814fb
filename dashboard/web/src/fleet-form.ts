import { h } from './dom.js'
import { tf, type FleetKey } from './fleet-i18n.js'
import { FleetApiError, fleetApi, LEVEL_KEYS, type DeviceProfile } from './fleet-api.js'

/**
 * The commissioning form: kind, place (set by a click on the map), names, the payload
 * profile (our frame or a vendor profile), MLIT thresholds with 観測開始水位 and where the
 * values came from. The answer's credentials are shown once, as text.
 */
export interface CommissionForm {
  setPosition(lat: number, lon: number): void
  render(): void
}

interface Credentials {
  mqtt?: { username: string, password: string, topic: string }
  intake?: { mailbox: string, password: string, uploadPath: string }
}

export function createCommissionForm (form: HTMLFormElement, credentialsBox: HTMLElement, profiles: () => DeviceProfile[], done: (id: string) => void): CommissionForm {
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>()
  let kind: 'gauge' | 'camera' | 'trail' = 'gauge'
  let position: { lat: number, lon: number } | undefined
  const values = new Map<string, string>()

  const input = (name: string, attrs: Record<string, string | number | boolean> = {}): HTMLInputElement => {
    const el = h('input', { name, id: `fleet-${name}`, autocomplete: 'off', ...attrs })
    el.value = values.get(name) ?? ''
    el.addEventListener('input', () => { values.set(name, el.value); el.removeAttribute('aria-invalid') })
    inputs.set(name, el)
    return el
  }
  const labelled = (key: FleetKey, el: HTMLElement): HTMLLabelElement => h('label', {}, tf(key), el)

  function showCredentials (id: string, c: Credentials): void {
    const rows: Array<[FleetKey, string]> = []
    if (c.mqtt !== undefined) rows.push(['mqttUser', c.mqtt.username], ['mqttPassword', c.mqtt.password], ['topic', c.mqtt.topic])
    if (c.intake !== undefined) rows.push(['mailbox', c.intake.mailbox], ['mailPassword', c.intake.password], ['uploadPath', c.intake.uploadPath])
    credentialsBox.hidden = false
    credentialsBox.replaceChildren(
      h('p', {}, h('strong', {}, tf('done', { id })), ' ', tf('shownOnce')),
      h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, tf(k)), h('dd', {}, h('code', { 'data-credential': k }, v))]))
    )
  }

  function body (): Record<string, unknown> {
    const num = (name: string): number | undefined => {
      const v = (inputs.get(name)?.value ?? '').trim()
      return v === '' ? undefined : Number(v)
    }
    const text = (name: string): string => (inputs.get(name)?.value ?? '').trim()
    const place = { id: text('id'), name: text('name'), nameEn: text('nameEn'), lat: position?.lat, lon: position?.lon }
    if (kind !== 'gauge') return { ...place, ...(kind === 'trail' ? { trail: true } : {}) }
    const thresholds: Record<string, number | undefined> = {}
    for (const k of LEVEL_KEYS) thresholds[k] = num(k)
    return { ...place, river: text('river'), deviceId: text('deviceId'), datum: num('datum'), sensorHeight: num('sensorHeight'), profile: text('profile'), thresholds, source: text('source') }
  }

  async function submit (): Promise<void> {
    const error = form.querySelector<HTMLElement>('.fleet-form-error')!
    try {
      const b = body()
      const r = await fleetApi<{ credentials: Credentials }>(kind === 'gauge' ? '/api/fleet/stations' : '/api/fleet/cameras', { method: 'POST', body: b })
      showCredentials(String(b.id), r.credentials)
      values.clear()
      error.textContent = ''
      done(String(b.id))
      render()
    } catch (err) {
      error.textContent = (err as Error).message
      if (err instanceof FleetApiError && err.field !== undefined) {
        const el = inputs.get(err.field === 'lat' || err.field === 'lon' ? 'lat' : err.field)
        el?.setAttribute('aria-invalid', 'true')
        el?.focus()
      }
    }
  }

  function render (): void {
    inputs.clear()
    const kindSelect = h('select', { name: 'kind', id: 'fleet-kind' }, ...(['gauge', 'camera', 'trail'] as const).map(k => h('option', { value: k }, tf(`kind.${k}`))))
    kindSelect.value = kind
    kindSelect.addEventListener('change', () => { kind = kindSelect.value as typeof kind; render() })
    const lat = input('lat', { readonly: true, placeholder: '—' })
    const lon = input('lon', { readonly: true, placeholder: '—' })
    lat.value = position === undefined ? '' : position.lat.toFixed(5)
    lon.value = position === undefined ? '' : position.lon.toFixed(5)
    const common = [labelled('kind', kindSelect), labelled('id', input('id', { maxlength: 64 })), labelled('name', input('name')), labelled('nameEn', input('nameEn')), labelled('lat', lat), labelled('lon', lon)]
    const gauge: HTMLElement[] = []
    if (kind === 'gauge') {
      const profile = h('select', { name: 'profile', id: 'fleet-profile' },
        h('option', { value: 'mimamori-frame-v1' }, tf('ourFrame')),
        ...profiles().map(p => h('option', { value: p.id }, `${p.vendor} ${p.model} (${p.measures}, ${p.unit})`)))
      profile.value = values.get('profile') ?? 'mimamori-frame-v1'
      profile.addEventListener('change', () => { values.set('profile', profile.value) })
      inputs.set('profile', profile)
      gauge.push(
        h('fieldset', {}, h('legend', {}, tf('deviceId')),
          labelled('river', input('river')), labelled('deviceId', input('deviceId', { maxlength: 64 })),
          labelled('datum', input('datum', { type: 'number', step: 'any' })), labelled('sensorHeight', input('sensorHeight', { type: 'number', step: 'any' })),
          labelled('profile', profile)),
        h('fieldset', {}, h('legend', {}, tf('levels')),
          ...LEVEL_KEYS.map(k => labelled(k, input(k, { type: 'number', step: 'any' }))),
          labelled('source', input('source', { maxlength: 200 }))))
    }
    const submitButton = h('button', { type: 'submit', id: 'fleet-submit' }, tf('submit'))
    form.replaceChildren(h('fieldset', {}, ...common), ...gauge, h('p', { class: 'admin-error fleet-form-error', role: 'alert' }), submitButton)
    form.onsubmit = ev => { ev.preventDefault(); void submit() }
  }

  return {
    setPosition (lat, lon) {
      position = { lat, lon }
      const la = inputs.get('lat')
      const lo = inputs.get('lon')
      if (la !== undefined) { la.value = lat.toFixed(5); la.removeAttribute('aria-invalid') }
      if (lo !== undefined) lo.value = lon.toFixed(5)
    },
    render
  }
}
