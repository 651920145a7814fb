import { ta } from './auth-i18n.js'
import { startSignedInPage } from './page-start.js'
import { fetchHunter, fetchHunterAlerts, fetchSighting } from './api.js'
import { byId, h } from './dom.js'
import { formatDateTime } from './format.js'
import { displayName, lang, onLangChange, t } from './i18n.js'
import { offerPush } from './hunter-push.js'
import { HUNTER_ACTIONS, sendHunterAction, type HunterAction } from './hunter-actions.js'
import { showHttpsWarning } from './hunter-https.js'
import { createHunterMap } from './hunter-overview.js'
import { LABEL_KEY, SENT_KEY, confidenceText, showSighting } from './hunter-sighting.js'
import { tn } from './notify-i18n.js'
import type { SightingView } from './types.js'

/**
 * The hunter view (/hunter.html): the signed-in hunter sees only the alerts
 * for their own areas — live over their own SSE stream — and answers each, in the
 * list, with 向かいます (on my way), サルでした (it was monkeys) or 誤報 (false alarm);
 * any of them stops the escalation. Push is a bonus, not a condition: over plain HTTP
 * the page says HTTPS is missing and still works while open. `?alert=ID` highlights
 * one alert. No picker: the account decides whose alerts these are.
 */
interface Card { sighting: SightingView, sent: HunterAction | null, busy: boolean, error: string | null }

const params = new URLSearchParams(location.search)
const focusAlert = params.get('alert')
const list = byId('hunter-alerts')
const help = byId('hunter-help')
const live = byId('live-indicator')
const liveLabel = byId('live-label')
const announcer = byId('sr-announcer')
/** camera names as the sightings carry them (a hunter may not list every camera) */
const cameras = new Map<string, { name: string, nameEn: string }>()
let cards: Card[] = []
let current: string | null = null
let source: EventSource | undefined
let liveState: 'connecting' | 'live' | 'reconnecting' = 'connecting'
let username = ''
let overview: { show(sightings: SightingView[]): void } | undefined

function cameraName (id: string): string {
  const c = cameras.get(id)
  return c === undefined ? id : displayName(c)
}

function renderLive (): void {
  live.dataset.state = liveState
  liveLabel.textContent = t(`live.${liveState}`)
  for (const b of document.querySelectorAll<HTMLButtonElement>('#lang-toggle button[data-lang]')) b.setAttribute('aria-pressed', b.dataset.lang === lang() ? 'true' : 'false')
}

function remember (s: SightingView): void {
  if (s.camera != null) cameras.set(s.cameraId, s.camera)
}

function renderCard (c: Card): HTMLElement {
  const s = c.sighting
  const button = (action: HunterAction): HTMLButtonElement => {
    const b = h('button', { type: 'button', class: `hunter-action sighting-${action}`, 'data-action': action, 'aria-pressed': c.sent === action ? 'true' : 'false', disabled: c.busy || s.alertId === null }, tn(LABEL_KEY[action]))
    b.addEventListener('click', () => { void send(c, action) })
    return b
  }
  return h('li', {
    class: 'hunter-alert',
    'data-alert-id': s.alertId ?? '',
    'data-sighting-id': s.id,
    'data-camera-id': s.cameraId,
    'data-sent': c.sent ?? '',
    'data-focus': s.alertId !== null && s.alertId === focusAlert ? 'true' : 'false'
  },
  h('h3', {}, `${s.alert?.drill === true ? tn('sighting.drill') : ''}${t('camera.sightingAt', { name: cameraName(s.cameraId) })}`),
  h('p', { class: 'hunter-alert-meta' },
    h('time', { datetime: s.time }, formatDateTime(s.time)),
    // 高/中/低, not the model's raw score and ImageNet label (a "dhole" on a macaque misleads)
    `・${confidenceText(s.bestScore)}（${t('camera.frames', { p: s.positives, n: s.frames })}）`,
    s.alert === null ? '' : `・${t('camera.alertState')}: ${t(`alertState.${s.alert.state}`)}`),
  s.thumbnailUrl === null ? null : h('img', { src: s.thumbnailUrl, alt: t('camera.thumbAlt', { name: cameraName(s.cameraId) }), decoding: 'async' }),
  h('div', { class: 'hunter-actions sighting-actions' }, ...HUNTER_ACTIONS.map(button)),
  c.sent === null ? null : h('p', { class: 'hunter-verdict', role: 'status' }, tn(SENT_KEY[c.sent])),
  c.error === null ? null : h('p', { class: 'hunter-error', role: 'alert' }, c.error))
}

function render (): void {
  renderLive()
  overview?.show(cards.map(c => c.sighting))
  if (current === null) {
    list.replaceChildren()
    return
  }
  list.replaceChildren(...(cards.length === 0 ? [h('li', { class: 'hunter-empty' }, t('hunter.empty'))] : cards.map(renderCard)))
  list.querySelector('[data-focus="true"]')?.scrollIntoView({ block: 'center' })
}

async function send (c: Card, action: HunterAction): Promise<void> {
  if (current === null || c.sighting.alertId === null) return
  c.busy = true
  render()
  try {
    await sendHunterAction(c.sighting.alertId, current, action)
    c.sent = action
    c.error = null
  } catch (err) {
    c.error = t('hunter.sendError', { msg: (err as Error).message })
  } finally {
    c.busy = false
  }
  render()
}

async function cardFor (s: SightingView, hunterId: string): Promise<Card> {
  try {
    const detail = await fetchSighting(s.id)
    const mine = detail.feedback.filter(f => f.hunterId === hunterId).pop()
    // 向かいます leaves no feedback row: the alert acknowledged in this account's name says it
    const enRoute = s.alert?.acknowledgedBy != null && s.alert.acknowledgedBy === username
    return { sighting: s, sent: mine?.verdict ?? (enRoute ? 'enRoute' : null), busy: false, error: null }
  } catch {
    return { sighting: s, sent: null, busy: false, error: null }
  }
}

function connect (hunterId: string): void {
  source?.close()
  liveState = 'connecting'
  const es = new EventSource(`/api/hunters/${encodeURIComponent(hunterId)}/events`)
  source = es
  es.addEventListener('open', () => {
    const gap = liveState === 'reconnecting'
    liveState = 'live'
    renderLive()
    // alerts raised while the stream was away come from the list
    if (gap) void load(hunterId).catch(() => { /* the next reconnect tries again */ })
  })
  es.addEventListener('error', () => { liveState = 'reconnecting'; renderLive() })
  es.addEventListener('wildlifeAlert', e => {
    try {
      const s = JSON.parse((e as MessageEvent<string>).data) as SightingView
      if (typeof s.id !== 'string' || current !== hunterId || cards.some(c => c.sighting.id === s.id)) return
      remember(s)
      cards.unshift({ sighting: s, sent: null, busy: false, error: null })
      announcer.textContent = t('hunter.new', { name: cameraName(s.cameraId) })
      render()
    } catch {
      // a malformed event must not stop the others
    }
  })
}

async function load (hunterId: string): Promise<void> {
  const alerts = await fetchHunterAlerts(hunterId)
  for (const s of alerts) remember(s)
  const next = await Promise.all(alerts.slice(0, 50).map(async s => await cardFor(s, hunterId)))
  if (current !== hunterId) return
  // keep live arrivals the list did not have yet
  cards = [...cards.filter(c => !next.some(n => n.sighting.id === c.sighting.id) && Date.parse(c.sighting.time) > Date.parse(next[0]?.sighting.time ?? '0')), ...next]
  render()
}

async function choose (hunterId: string | null): Promise<void> {
  current = hunterId
  cards = []
  if (hunterId === null) {
    source?.close()
    render()
    return
  }
  connect(hunterId)
  render()
  await load(hunterId)
}

async function main (): Promise<void> {
  const me = await startSignedInPage()
  if (me === undefined) return
  username = me.username
  // over plain HTTP on a network address there is no push and no install: say so, and why
  const secure = showHttpsWarning(byId('https-warning'))
  // installable PWA: after sign-in, offer notifications; a push opens ?sighting=ID
  if (secure) void offerPush(me)
  overview = createHunterMap(byId('hunter-map-section'), byId('hunter-map-toggle'))
  const pushed = params.get('sighting')
  if (pushed !== null) await showSighting(me, pushed, list.parentElement ?? document.body)
  const explain = (): void => {
    help.hidden = me.hunterId !== null
    help.textContent = me.hunterId === null ? ta('hunter.staffNote', { user: me.username }) : ''
  }
  onLangChange(() => { explain(); render() })
  explain()
  if (me.hunterId !== null) {
    // whose page this is and which areas it covers (names as text: they come from people)
    const who = byId('hunter-who')
    try {
      const profile = await fetchHunter(me.hunterId)
      who.replaceChildren(h('strong', { class: 'hunter-name' }, profile.name), ...(profile.areas ?? []).map(a => h('span', { class: 'hunter-area' }, a.name === '' ? a.id : a.name)))
    } catch {
      who.replaceChildren()
    }
  }
  await choose(me.hunterId)
  document.body.dataset.ready = 'true'
}

void main()
