import { AlertApiError, fetchOpenAlerts, isOpen, postAlertAction, severityRank, type AlertAction, type AlertEvent, type AlertSeverity, type AlertState, type AlertView } from './alerts-api.js'
import { createOperator } from './alerts-operator.js'
import { alertLevel, groupAlerts, refreshStationNow, stationNow, trendArrow, type AlertGroup } from './alert-groups.js'
import { createAdvisoryList, openAdvisoryDialog } from './advisory-dialog.js'
import { tv2 } from './advisory-i18n.js'
import { confirmDialog } from './confirm-dialog.js'
import { createNotifyStatus } from './notify-status.js'
import { canAct } from './session.js'
import { byId, h } from './dom.js'
import { formatDateTime, formatLevel } from './format.js'
import { displayName, lang, t, type MessageKey } from './i18n.js'

/** What an alert is about, looked up by subjectId in /api/stations and /api/cameras. */
export interface AlertSubject {
  type: 'station' | 'camera'
  id: string
  name: string
  nameEn: string
  lat: number
  lon: number
}

export interface AlertPanelDeps {
  map: L.Map
  subject(subjectId: string): AlertSubject | undefined
  /** pan to the station / camera and open its popup */
  select(subject: AlertSubject): void
}

export interface AlertPanel {
  /** (re)load the open alerts: at start and after the live stream had a gap */
  load(): Promise<void>
  /** SSE `alert` */
  event(e: AlertEvent): void
  /** stations or cameras changed: names, marker rings */
  refresh(): void
  relabel(): void
}

/** A firing alert this severe or worse also shows the banner over the map (避難判断水位 Lv3 → severe). */
const BANNER_RANK = severityRank('severe')
const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, acknowledged: 2, resolved: 3 }
/** ring drawn around a marker with an open alert, px */
const RING_RADIUS = 20

/** MLIT colours where the rule is a level band (Lv2 yellow, Lv3 red, Lv4 purple, Lv5 black) */
export const SEVERITY_COLOUR: Record<AlertSeverity, { bg: string, fg: string }> = {
  minor: { bg: '#64748b', fg: '#ffffff' },
  moderate: { bg: '#f2e700', fg: '#1f1d00' },
  severe: { bg: '#ff2800', fg: '#ffffff' },
  extreme: { bg: '#aa00aa', fg: '#ffffff' }
}
const FLOODING_COLOUR = { bg: '#0c000c', fg: '#ffffff' }

function colourOf (a: AlertView): { bg: string, fg: string } {
  return a.rule === 'threshold.flooding' ? FLOODING_COLOUR : SEVERITY_COLOUR[a.severity]
}

const RULE_KEYS: Record<string, MessageKey> = {
  'threshold.standby': 'alert.rule.threshold.standby',
  'threshold.caution': 'alert.rule.threshold.caution',
  'threshold.evacuationJudgement': 'alert.rule.threshold.evacuationJudgement',
  'threshold.danger': 'alert.rule.threshold.danger',
  'threshold.flooding': 'alert.rule.threshold.flooding',
  rateOfRise: 'alert.rule.rateOfRise',
  'forecast.danger': 'alert.rule.forecast.danger',
  silent: 'alert.rule.silent',
  sighting: 'alert.rule.sighting'
}

/** 氾濫危険水位 超過 (Lv4) …; an unknown rule falls back to the server's title */
export function ruleLabel (a: AlertView): string {
  const key = Object.hasOwn(RULE_KEYS, a.rule) ? RULE_KEYS[a.rule] : undefined
  if (key !== undefined) return t(key)
  const [ja, en] = a.title.split(' / ')
  return (lang() === 'en' ? en : ja) ?? a.title
}

function byConcern (a: AlertView, b: AlertView): number {
  return severityRank(b.severity) - severityRank(a.severity) ||
    STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
    Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt) ||
    a.id.localeCompare(b.id)
}

function num (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}
function str (v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/**
 * The thresholds that applied when a river alert fired (fleet registry revisions): an alert
 * raised before a revision keeps showing the values it fired with.
 */
function appliedThresholds (a: AlertView): HTMLElement | null {
  const th = a.details.thresholds
  if (th === null || typeof th !== 'object') return null
  const x = th as Record<string, unknown>
  const n = num(x.revision)
  if (n === undefined || n === 0) return null
  const from = str(x.validFrom)
  const levels = (['caution', 'evacuationJudgement', 'danger'] as const).map(k => num(x[k])).map(v => v === undefined ? '—' : v.toFixed(2)).join(' / ')
  return h('span', { class: 'alert-thresholds', 'data-revision': n },
    t('alert.detail.revision', { n, from: from === undefined || Date.parse(from) === 0 ? '' : formatDateTime(from), source: str(x.source) ?? '' }), ` ${levels} m`)
}

/** the figure that matters for the rule: level, rate, ETA, last contact, frames */
function detailText (a: AlertView): string | null {
  const d = a.details
  switch (a.rule) {
    case 'rateOfRise': {
      const slope = num(d.slopeMPerHour)
      const level = num(d.level)
      return slope === undefined ? null : t('alert.detail.rate', { rate: `+${slope.toFixed(2)} m/h`, level: level === undefined ? '—' : formatLevel(level) })
    }
    case 'forecast.danger': {
      const at = str(d.expectedAt)
      const eta = num(d.etaMinutes)
      return at === undefined ? null : t('alert.detail.forecast', { at: formatDateTime(at), min: eta ?? '—' })
    }
    case 'silent': {
      const last = str(d.lastReadingAt)
      return last === undefined ? null : t('alert.detail.silent', { at: formatDateTime(last) })
    }
    case 'sighting': {
      const pos = num(d.positives)
      const frames = num(d.frames)
      return pos === undefined || frames === undefined ? null : t('alert.detail.sighting', { n: pos, of: frames })
    }
    default: {
      const level = num(d.level)
      const threshold = num(d.threshold)
      if (level === undefined) return a.message === '' ? null : a.message
      return threshold === undefined ? formatLevel(level) : t('alert.detail.level', { level: formatLevel(level), threshold: formatLevel(threshold) })
    }
  }
}

/**
 * The alerts section on top of the side panel (`#alert-list`, one
 * `.alert-row[data-alert-id][data-state][data-kind][data-rule]` per open
 * alert, worst first), the banner over the map for firing alerts at 避難判断
 * (Lv3) or worse (`#alert-banner`, announced through `#alert-live`), and a ring
 * (`.alert-ring`) plus class `has-alert` on markers with an open alert.
 * 確認 / 解除 POST as the operator named in `#operator-dialog`.
 */
export function createAlertPanel ({ map, subject, select }: AlertPanelDeps): AlertPanel {
  const list = byId<HTMLOListElement>('alert-list')
  const count = byId('alert-count')
  const section = byId('alert-section')
  const errorBox = byId('alert-action-error')
  const errorText = byId('alert-action-error-text')
  const banner = byId('alert-banner')
  const bannerTitle = byId('alert-banner-title')
  const bannerText = byId('alert-banner-text')
  const bannerMore = byId('alert-banner-more')
  const bannerAck = byId<HTMLButtonElement>('alert-banner-ack')
  const bannerShow = byId<HTMLButtonElement>('alert-banner-show')
  const live = byId('alert-live')
  const operator = createOperator()
  const advisories = createAdvisoryList(section, canAct)
  const notifyStatus = createNotifyStatus(section)

  const open = new Map<string, AlertView>()
  /** ids changed by live events while a load() was in flight: the event is newer than the snapshot */
  let touched: Set<string> | undefined
  const busy = new Set<string>()
  const rings = new Map<string, L.CircleMarker>()
  let bannerId: string | undefined
  let loadSeq = 0

  byId('alert-action-error-close').addEventListener('click', () => { showError(null) })
  bannerShow.addEventListener('click', () => {
    if (bannerId === undefined) return
    const row = list.querySelector<HTMLElement>(`.alert-row[data-alert-id="${CSS.escape(bannerId)}"]`)
    row?.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
    row?.querySelector<HTMLButtonElement>('.alert-subject')?.focus({ preventScroll: true })
    const a = open.get(bannerId)
    const s = a === undefined ? undefined : subject(a.subjectId)
    if (s !== undefined) select(s)
  })
  bannerAck.addEventListener('click', () => {
    const a = bannerId === undefined ? undefined : open.get(bannerId)
    if (a !== undefined) void act(a, 'ack')
  })

  function subjectName (a: AlertView): string {
    const s = subject(a.subjectId)
    return s === undefined ? a.subjectId : displayName(s)
  }

  function showError (message: string | null): void {
    errorBox.hidden = message === null
    errorText.textContent = message ?? ''
  }

  /** true when the server took it */
  async function act (a: AlertView, action: AlertAction): Promise<boolean> {
    const by = await operator.ask()
    if (by === null) return false
    busy.add(a.id)
    render()
    try {
      const updated = await postAlertAction(a.id, action, by)
      showError(null)
      apply(updated)
      return true
    } catch (err) {
      const e = err instanceof AlertApiError ? err : new AlertApiError(0, 'MIMAMORI_ERR_NETWORK', String(err))
      const what = `${subjectName(a)} ${ruleLabel(a)}`
      const hint = e.code === 'MIMAMORI_ERR_ALERT_STATE' ? t('alert.err.state') : e.status === 0 ? t('alert.err.network') : t('alert.err.refused')
      showError(t('alert.err.format', { action: t(action === 'ack' ? 'alert.ack' : 'alert.resolve'), what, hint, code: e.code, message: e.message }))
      // the server knows better: pick up the alert's real state
      void load()
      return false
    } finally {
      busy.delete(a.id)
      render()
    }
  }

  /** a station event's alerts together; resolving asks for confirmation first (it is also sent to people) */
  async function actOn (members: AlertView[], action: AlertAction): Promise<void> {
    const first = members[0]
    if (first === undefined) return
    if (action === 'resolve') {
      const what = `${subjectName(first)} ${ruleLabel(first)}`
      const ok = await confirmDialog({
        title: tv2('resolve.title'),
        message: members.length > 1 ? tv2('resolve.group', { what, n: members.length }) : tv2('resolve.message', { what }),
        confirm: tv2('resolve.yes'),
        cancel: tv2('resolve.no'),
        danger: true
      })
      if (!ok) return
    }
    // the first refusal stops the rest: its error stays on screen and the list reloads
    for (const m of action === 'ack' ? members.filter(x => x.state !== 'acknowledged') : members) if (!await act(m, action)) return
  }

  /** highest level reached, current level and trend, more alerts of the event, and the advisory button */
  function groupLine (g: AlertGroup): HTMLElement | null {
    const parts: Array<Node | string> = []
    if (g.highestLevel !== null) parts.push(h('span', { class: 'alert-group-highest' }, tv2('group.highest', { n: g.highestLevel })))
    const now = g.kind === 'river' ? stationNow(g.subjectId) : undefined
    if (now?.level != null) {
      const tr = trendArrow(now.rateMPerHour)
      parts.push(h('span', { class: 'alert-group-now', 'data-trend': tr.key }, `${tv2('group.now', { level: formatLevel(now.level) })} ${tr.arrow}${tr.key === 'unknown' ? '' : ` ${tv2(`trend.${tr.key}`)}`}`))
    }
    if (g.members.length > 1) parts.push(h('span', { class: 'alert-group-more', title: g.members.slice(1).map(ruleLabel).join(' / ') }, tv2('group.more', { n: g.members.length - 1 })))
    if (g.kind === 'river' && (g.highestLevel ?? 0) >= 3 && canAct()) {
      const b = h('button', { type: 'button', class: 'alert-advisory', 'data-subject-id': g.subjectId }, tv2('adv.open'))
      b.addEventListener('click', () => { void openAdvisoryDialog({ alertId: g.top.id, stationId: g.subjectId, level: g.highestLevel ?? 3 }).then(() => advisories.load()) })
      parts.push(b)
    }
    return parts.length === 0 ? null : h('div', { class: 'alert-group' }, ...parts.flatMap((p, i) => i === 0 ? [p] : [' · ', p]))
  }

  function chip (state: AlertState): HTMLSpanElement {
    return h('span', { class: 'alert-state', 'data-state': state }, t(`alert.state.${state}`))
  }

  function row (a: AlertView, g?: AlertGroup): HTMLLIElement {
    const members = g?.members ?? [a]
    const colour = colourOf(a)
    const name = subjectName(a)
    const rule = ruleLabel(a)
    const isBusy = busy.has(a.id)
    const detail = detailText(a)
    const subjectButton = h('button', { type: 'button', class: 'alert-subject', title: t('alert.showOnMap') }, name)
    subjectButton.addEventListener('click', () => {
      const s = subject(a.subjectId)
      if (s !== undefined) select(s)
    })
    // researchers read; only staff and admins get the buttons (the server refuses the rest anyway)
    const ack = a.state === 'acknowledged' || !canAct()
      ? null
      : h('button', { type: 'button', class: 'alert-ack', disabled: isBusy, 'aria-label': `${t('alert.ack')}: ${name} ${rule}` }, t('alert.ack'))
    ack?.addEventListener('click', () => { void actOn(members, 'ack') })
    const resolve = canAct() ? h('button', { type: 'button', class: 'alert-resolve', disabled: isBusy, 'aria-label': `${t('alert.resolve')}: ${name} ${rule}` }, t('alert.resolve')) : null
    resolve?.addEventListener('click', () => { void actOn(members, 'resolve') })
    const observed = formatDateTime(a.observedAt)
    const latest = a.lastSeenAt !== a.observedAt ? formatDateTime(a.lastSeenAt) : null

    return h('li', {
      class: 'alert-row',
      'data-alert-id': a.id,
      'data-state': a.state,
      'data-kind': a.kind,
      'data-subject-id': a.subjectId,
      'data-rule': a.rule,
      'data-severity': a.severity,
      'data-drill': a.drill ? 'true' : 'false',
      'data-level': alertLevel(a) ?? '',
      'data-members': members.length,
      'aria-busy': isBusy ? 'true' : null,
      style: `--sev-bg:${colour.bg};--sev-fg:${colour.fg}`
    },
    h('div', { class: 'alert-head' },
      h('span', { class: 'alert-sev' }, t(`alert.severity.${a.severity}`)),
      h('span', { class: 'alert-rule' }, rule),
      a.drill ? h('span', { class: 'alert-drill', title: t('alert.drillTitle') }, t('alert.drill')) : null,
      chip(a.state)
    ),
    subjectButton,
    g === undefined ? null : groupLine(g),
    h('div', { class: 'alert-foot' },
    h('div', { class: 'alert-meta' },
      detail === null ? null : h('span', { class: 'alert-detail' }, detail),
      appliedThresholds(a),
      h('span', { class: 'alert-time' },
        t('alert.observed'), ' ', h('time', { datetime: a.observedAt }, observed),
        latest === null ? null : h('span', { class: 'alert-latest' }, ` · ${t('alert.latest')} `, h('time', { datetime: a.lastSeenAt }, latest))),
      a.state === 'acknowledged' && a.acknowledgedBy !== null
        ? h('span', { class: 'alert-by' }, t('alert.ackBy', { by: a.acknowledgedBy, at: a.acknowledgedAt === null ? '—' : formatDateTime(a.acknowledgedAt) }))
        : null
    ),
    h('div', { class: 'alert-actions' }, ack, resolve)
    )
    )
  }

  function sorted (): AlertView[] {
    return [...open.values()].sort(byConcern)
  }

  function renderList (items: AlertView[]): void {
    // keep the keyboard user's place when the list re-sorts
    const active = document.activeElement
    const focusedRow = (active?.closest('.alert-row') as HTMLElement | null)?.dataset.alertId
    const focusedClass = focusedRow === undefined ? undefined : ['alert-ack', 'alert-resolve', 'alert-subject'].find(c => active?.classList.contains(c))
    if (items.length === 0) list.replaceChildren(h('li', { class: 'alert-empty' }, t('alert.none')))
    // one row per station event (a flood's five threshold alerts are one row showing the highest)
    else list.replaceChildren(...groupAlerts(items).map(g => row(g.top, g)))
    if (focusedRow !== undefined) {
      const rowEl = list.querySelector<HTMLElement>(`.alert-row[data-alert-id="${CSS.escape(focusedRow)}"]`)
      const target = rowEl?.querySelector<HTMLButtonElement>(`.${focusedClass ?? 'alert-subject'}:not([disabled])`) ?? rowEl?.querySelector<HTMLButtonElement>('button:not([disabled])')
      target?.focus({ preventScroll: true })
    }
    count.textContent = String(items.length)
    const firing = items.filter(a => a.state === 'firing').length
    count.dataset.firing = String(firing)
    section.dataset.firing = String(firing)
  }

  function renderBanner (items: AlertView[]): void {
    const urgent = items.filter(a => a.state === 'firing' && severityRank(a.severity) >= BANNER_RANK)
    const top = urgent[0]
    bannerId = top?.id
    if (top === undefined) {
      banner.hidden = true
      delete banner.dataset.alertId
      return
    }
    const colour = colourOf(top)
    banner.hidden = false
    banner.dataset.alertId = top.id
    banner.dataset.severity = top.severity
    banner.dataset.drill = top.drill ? 'true' : 'false'
    banner.style.setProperty('--sev-bg', colour.bg)
    banner.style.setProperty('--sev-fg', colour.fg)
    bannerTitle.textContent = `${top.drill ? `【${t('alert.drill')}】` : ''}${subjectName(top)}  ${ruleLabel(top)}`
    const detail = detailText(top)
    // the banner says where the river is NOW, not only what it once crossed
    const now = top.kind === 'river' ? stationNow(top.subjectId) : undefined
    const current = now?.level == null ? '' : `${tv2('group.now', { level: formatLevel(now.level) })} ${trendArrow(now.rateMPerHour).arrow} · `
    bannerText.textContent = `${current}${detail === null ? '' : `${detail} · `}${t('alert.observed')} ${formatDateTime(top.lastSeenAt)}`
    bannerMore.textContent = urgent.length > 1 ? t('alert.bannerMore', { n: urgent.length - 1 }) : ''
    bannerAck.disabled = busy.has(top.id)
    bannerAck.hidden = !canAct()
  }

  function renderMarkers (items: AlertView[]): void {
    const worst = new Map<string, AlertView>()
    for (const a of items) if (!worst.has(a.subjectId)) worst.set(a.subjectId, a) // items are worst first
    for (const el of document.querySelectorAll<Element>('.has-alert')) {
      const id = el.getAttribute('data-station-id') ?? el.getAttribute('data-camera-id') ?? ''
      if (!worst.has(id)) {
        el.classList.remove('has-alert')
        el.removeAttribute('data-alert-severity')
      }
    }
    for (const [id, ring] of rings) {
      if (!worst.has(id)) {
        ring.remove()
        rings.delete(id)
      }
    }
    for (const [id, a] of worst) {
      const s = subject(id)
      if (s === undefined) continue
      const sel = s.type === 'station' ? `.station-marker[data-station-id="${CSS.escape(id)}"]` : `.camera-marker[data-camera-id="${CSS.escape(id)}"]`
      for (const el of document.querySelectorAll<Element>(sel)) {
        el.classList.add('has-alert')
        el.setAttribute('data-alert-severity', a.severity)
      }
      const colour = colourOf(a).bg
      // acknowledged: someone is on it, the ring stops pulsing and turns dashed
      const dashArray = a.state === 'acknowledged' ? '5 5' : ''
      let ring = rings.get(id)
      if (ring === undefined) {
        ring = L.circleMarker([s.lat, s.lon], { radius: RING_RADIUS, className: 'alert-ring', color: colour, weight: 3, opacity: 0.95, fill: false, dashArray, interactive: false })
        ring.addTo(map)
        rings.set(id, ring)
      } else {
        ring.setLatLng([s.lat, s.lon])
        ring.setStyle({ color: colour, dashArray })
      }
      const el = ring.getElement()
      if (el !== undefined) {
        el.setAttribute('data-subject-id', id)
        el.setAttribute('data-state', a.state)
        el.setAttribute('aria-hidden', 'true')
      }
      ring.bringToBack()
    }
  }

  function render (): void {
    const items = sorted()
    renderList(items)
    renderBanner(items)
    renderMarkers(items)
  }

  /** a newly firing alert at banner level is read out at once, whatever the user is doing */
  function announce (a: AlertView, from: AlertState | null): void {
    if (a.state !== 'firing' || from === 'firing' || severityRank(a.severity) < BANNER_RANK) return
    const text = `${a.drill ? `${t('alert.drill')}: ` : ''}${subjectName(a)} ${ruleLabel(a)}`
    // a repeated identical text is not re-read by some screen readers: clear first
    live.textContent = ''
    requestAnimationFrame(() => { live.textContent = text })
  }

  function apply (a: AlertView): void {
    touched?.add(a.id)
    if (isOpen(a.state)) open.set(a.id, a)
    else open.delete(a.id)
    render()
  }

  async function load (): Promise<void> {
    const seq = ++loadSeq
    touched = new Set()
    try {
      const fresh = await fetchOpenAlerts()
      if (seq !== loadSeq) return
      const changed = touched
      touched = undefined
      for (const id of [...open.keys()]) if (!changed.has(id)) open.delete(id)
      for (const a of fresh) if (!changed.has(a.id)) open.set(a.id, a)
      await refreshStationNow(true)
      render()
      void advisories.load()
      void notifyStatus.load()
    } catch {
      if (seq === loadSeq) touched = undefined
      // the next resync tries again; the list keeps what it had
    }
  }

  render()
  return {
    load,
    event (e) {
      const { from, to, ...alert } = e
      apply({ ...alert, state: to })
      announce({ ...alert, state: to }, from)
      void refreshStationNow().then(render)
    },
    // names and positions come from config and do not change live: the rings and marker classes do
    refresh () { renderMarkers(sorted()) },
    relabel () {
      operator.relabel()
      render()
    }
  }
}
