import { severityRank, type AlertSeverity, type AlertState, type AlertView } from './alerts-api.js'
import { alertLevel, groupAlerts, stationNow, trendArrow, type AlertGroup } from './alert-groups.js'
import { tv2 } from './advisory-i18n.js'
import { h } from './dom.js'
import { formatDateTime, formatLevel, formatRate } from './format.js'
import { lang, t, type MessageKey } from './i18n.js'

/** MLIT colours where the rule is a level band (Lv2 yellow, Lv3 red, Lv4 purple, Lv5 black) */
export const SEVERITY_COLOUR: Record<AlertSeverity, { bg: string, fg: string }> = {
  minor: { bg: '#64748b', fg: '#ffffff' },
  moderate: { bg: '#f2e700', fg: '#1f1d00' },
  severe: { bg: '#ff2800', fg: '#ffffff' },
  extreme: { bg: '#aa00aa', fg: '#ffffff' }
}
const FLOODING_COLOUR = { bg: '#0c000c', fg: '#ffffff' }
const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, acknowledged: 2, resolved: 3 }

export function colourOf (a: AlertView): { bg: string, fg: string } {
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

export function byConcern (a: AlertView, b: AlertView): number {
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

/** the figure that matters for the rule: level when reached, rate, ETA, last contact, frames */
export function detailText (a: AlertView): string | null {
  const d = a.details
  switch (a.rule) {
    case 'rateOfRise': {
      const slope = num(d.slopeMPerHour)
      const level = num(d.level)
      return slope === undefined ? null : t('alert.detail.rate', { rate: formatRate(slope), level: level === undefined ? '—' : formatLevel(level) })
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

/** 現在 2.49 m ↓ 下降中 — where the river is NOW (the row's other level is the one when it was reached) */
export function nowText (subjectId: string): { text: string, trend: string } | null {
  const now = stationNow(subjectId)
  if (now?.level == null) return null
  const tr = trendArrow(now.rateMPerHour)
  return { text: `${tv2('group.now', { level: formatLevel(now.level) })} ${tr.arrow}${tr.arrow === '' ? '' : ' '}${tv2(`trend.${tr.key}`)}`, trend: tr.key }
}

export interface ListDeps {
  list: HTMLOListElement
  subjectName(a: AlertView): string
  select(subjectId: string): void
  busy(id: string): boolean
  canAct(): boolean
  /** one click on a whole station event */
  actOn(members: AlertView[], action: 'ack' | 'resolve'): void
  advisory(g: AlertGroup): HTMLButtonElement | null
}

/** highest level reached, current level and trend, more alerts of the event, and the advisory button */
function groupLine (g: AlertGroup, deps: ListDeps): HTMLElement | null {
  const parts: Array<Node | string> = []
  if (g.highestLevel !== null) parts.push(h('span', { class: 'alert-group-highest' }, tv2('group.highest', { n: g.highestLevel })))
  const now = g.kind === 'river' ? nowText(g.subjectId) : null
  if (now !== null) parts.push(h('span', { class: 'alert-group-now', 'data-trend': now.trend }, now.text))
  if (g.members.length > 1) parts.push(h('span', { class: 'alert-group-more', title: g.members.slice(1).map(ruleLabel).join(' / ') }, tv2('group.more', { n: g.members.length - 1 })))
  const advisory = deps.advisory(g)
  if (advisory !== null) parts.push(advisory)
  return parts.length === 0 ? null : h('div', { class: 'alert-group' }, ...parts.flatMap((p, i) => i === 0 ? [p] : [' · ', p]))
}

function chip (state: AlertState): HTMLSpanElement {
  return h('span', { class: 'alert-state', 'data-state': state }, t(`alert.state.${state}`))
}

function row (a: AlertView, g: AlertGroup, deps: ListDeps): HTMLLIElement {
  const members = g.members
  const colour = colourOf(a)
  const name = deps.subjectName(a)
  const rule = ruleLabel(a)
  const isBusy = members.some(m => deps.busy(m.id))
  const detail = detailText(a)
  const subjectButton = h('button', { type: 'button', class: 'alert-subject', title: t('alert.showOnMap') }, name)
  subjectButton.addEventListener('click', () => { deps.select(a.subjectId) })
  // researchers read; only staff and admins get the buttons (the server refuses the rest anyway)
  const ack = members.every(m => m.state === 'acknowledged') || !deps.canAct()
    ? null
    : h('button', { type: 'button', class: 'alert-ack', disabled: isBusy, 'aria-label': `${t('alert.ack')}: ${name} ${rule}` }, t('alert.ack'))
  ack?.addEventListener('click', () => { deps.actOn(members, 'ack') })
  const resolve = deps.canAct() ? h('button', { type: 'button', class: 'alert-resolve', disabled: isBusy, 'aria-label': `${t('alert.resolve')}: ${name} ${rule}` }, t('alert.resolve')) : null
  resolve?.addEventListener('click', () => { deps.actOn(members, 'resolve') })
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
    'data-historical': a.details.historical === true ? 'true' : 'false',
    'data-level': alertLevel(a) ?? '',
    'data-members': members.length,
    'aria-busy': isBusy ? 'true' : null,
    style: `--sev-bg:${colour.bg};--sev-fg:${colour.fg}`
  },
  h('div', { class: 'alert-head' },
    h('span', { class: 'alert-sev' }, t(`alert.severity.${a.severity}`)),
    h('span', { class: 'alert-rule' }, rule),
    a.drill ? h('span', { class: 'alert-drill', title: t('alert.drillTitle') }, t('alert.drill')) : null,
    a.details.historical === true ? h('span', { class: 'alert-historical', title: t('alert.historicalTitle') }, t('alert.historical')) : null,
    chip(a.state)),
  subjectButton,
  groupLine(g, deps),
  h('div', { class: 'alert-foot' },
    h('div', { class: 'alert-meta' },
      detail === null ? null : h('span', { class: 'alert-detail' }, detail),
      h('span', { class: 'alert-time' },
        t('alert.observed'), ' ', h('time', { datetime: a.observedAt }, formatDateTime(a.observedAt)),
        latest === null ? null : h('span', { class: 'alert-latest' }, ` · ${t('alert.latest')} `, h('time', { datetime: a.lastSeenAt }, latest))),
      a.state === 'acknowledged' && a.acknowledgedBy !== null
        ? h('span', { class: 'alert-by' }, t('alert.ackBy', { by: a.acknowledgedBy, at: a.acknowledgedAt === null ? '—' : formatDateTime(a.acknowledgedAt) }))
        : null),
    h('div', { class: 'alert-actions' }, ack, resolve)))
}

/**
 * `#alert-list`: one `.alert-row` per station event (a flood's five threshold alerts
 * are one row showing the highest), worst first; keeps the keyboard user's place.
 */
export function renderAlertList (items: AlertView[], deps: ListDeps): void {
  const list = deps.list
  const active = document.activeElement
  const focusedRow = (active?.closest('.alert-row') as HTMLElement | null)?.dataset.alertId
  const focusedClass = focusedRow === undefined ? undefined : ['alert-ack', 'alert-resolve', 'alert-subject'].find(c => active?.classList.contains(c))
  if (items.length === 0) list.replaceChildren(h('li', { class: 'alert-empty' }, t('alert.none')))
  else list.replaceChildren(...groupAlerts(items).map(g => row(g.top, g, deps)))
  if (focusedRow !== undefined) {
    const rowEl = list.querySelector<HTMLElement>(`.alert-row[data-alert-id="${CSS.escape(focusedRow)}"]`)
    const target = rowEl?.querySelector<HTMLButtonElement>(`.${focusedClass ?? 'alert-subject'}:not([disabled])`) ?? rowEl?.querySelector<HTMLButtonElement>('button:not([disabled])')
    target?.focus({ preventScroll: true })
  }
}
