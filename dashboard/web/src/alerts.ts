import { fetchOpenAlerts, isOpen, severityRank, type AlertEvent, type AlertState, type AlertView } from './alerts-api.js'
import { createAlertActions } from './alerts-actions.js'
import { BANNER_RANK, createBanner, createMarkerRings } from './alerts-banner.js'
import { byConcern, renderAlertList, ruleLabel } from './alerts-list.js'
import { createOperator } from './alerts-operator.js'
import { groupAlerts, refreshStationNow, useLiveLevels, type AlertGroup, type LiveLevel } from './alert-groups.js'
import { createAdvisoryList, openAdvisoryDialog } from './advisory-dialog.js'
import { tv2 } from './advisory-i18n.js'
import { createNotifyStatus } from './notify-status.js'
import { canAct } from './session.js'
import { byId, h } from './dom.js'
import { displayName, t } from './i18n.js'

export { SEVERITY_COLOUR, ruleLabel } from './alerts-list.js'
import type { AlertSubject } from './alerts-api.js'

export type { AlertSubject } from './alerts-api.js'

export interface AlertPanelDeps {
  map: L.Map
  subject(subjectId: string): AlertSubject | undefined
  /** pan to the station / camera and open its popup */
  select(subject: AlertSubject): void
  /** the station's current level as the map shows it: the card and banner say the same as the popup */
  currentLevel: LiveLevel
}

export interface AlertPanel {
  /** (re)load the open alerts: at start and after the live stream had a gap */
  load(): Promise<void>
  /** SSE `alert` */
  event(e: AlertEvent): void
  /** stations or cameras changed: names, marker rings */
  refresh(): void
  /** a station's current level changed: its card and the banner follow */
  stationChanged(stationId: string): void
  relabel(): void
}

/**
 * The alerts section on top of the side panel: the list (alerts-list.ts, one
 * `.alert-row` per station event), the banner over the map and the marker rings
 * (alerts-banner.ts), and 確認 / 解除 for a whole event in one request
 * (alerts-actions.ts). This file keeps the open alerts and wires them together.
 */
export function createAlertPanel ({ map, subject, select, currentLevel }: AlertPanelDeps): AlertPanel {
  useLiveLevels(currentLevel)
  const list = byId<HTMLOListElement>('alert-list')
  const count = byId('alert-count')
  const section = byId('alert-section')
  const live = byId('alert-live')
  const operator = createOperator()
  const advisories = createAdvisoryList(section, canAct)
  const notifyStatus = createNotifyStatus(section)

  const open = new Map<string, AlertView>()
  /** ids changed by live events while a load() was in flight: the event is newer than the snapshot */
  let touched: Set<string> | undefined
  let loadSeq = 0

  const subjectName = (a: AlertView): string => {
    const s = subject(a.subjectId)
    return s === undefined ? a.subjectId : displayName(s)
  }
  const selectId = (id: string): void => {
    const s = subject(id)
    if (s !== undefined) select(s)
  }
  const sorted = (): AlertView[] => [...open.values()].sort(byConcern)
  const groupOf = (id: string): AlertGroup | undefined => groupAlerts(sorted()).find(g => g.members.some(m => m.id === id))

  const actions = createAlertActions({
    operator,
    subjectName,
    applied (alerts) { for (const a of alerts) apply(a, false); render() },
    busyChanged () { render() },
    reload () { void load() }
  })
  const banner = createBanner(subjectName, id => {
    const row = list.querySelector<HTMLElement>(`.alert-row[data-alert-id="${CSS.escape(id)}"]`) ??
      list.querySelector<HTMLElement>(`.alert-row[data-subject-id="${CSS.escape(open.get(id)?.subjectId ?? '')}"]`)
    row?.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
    row?.querySelector<HTMLButtonElement>('.alert-subject')?.focus({ preventScroll: true })
    const a = open.get(id)
    if (a !== undefined) selectId(a.subjectId)
  }, id => {
    const g = groupOf(id)
    if (g !== undefined) void actions.actOn(g.members, 'ack')
  })
  const rings = createMarkerRings(map, subject)

  function render (): void {
    const items = sorted()
    renderAlertList(items, {
      list,
      subjectName,
      select: selectId,
      busy: actions.busy,
      canAct,
      actOn (members, action) { void actions.actOn(members, action) },
      advisory: g => advisoryButton(g, () => { void advisories.load() })
    })
    count.textContent = String(items.length)
    const firing = items.filter(a => a.state === 'firing').length
    count.dataset.firing = String(firing)
    section.dataset.firing = String(firing)
    banner.render(items, actions.busy, canAct())
    rings.render(items)
  }

  function apply (a: AlertView, redraw = true): void {
    touched?.add(a.id)
    if (isOpen(a.state)) open.set(a.id, a)
    else open.delete(a.id)
    if (redraw) render()
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
      await refreshStationNow(0)
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
      announce(live, { ...alert, state: to }, from, subjectName)
      // the rate may lag a fresh reading: re-read the trends unless they are a few seconds old
      void refreshStationNow(5_000).then(render)
    },
    // names and positions come from config and do not change live: the rings and marker classes do
    refresh () { rings.render(sorted()) },
    stationChanged (stationId) {
      if ([...open.values()].some(a => a.kind === 'river' && a.subjectId === stationId)) render()
    },
    relabel () {
      operator.relabel()
      render()
    }
  }
}

/** a newly firing alert at banner level is read out at once, whatever the user is doing */
function announce (live: HTMLElement, a: AlertView, from: AlertState | null, subjectName: (a: AlertView) => string): void {
  if (a.state !== 'firing' || from === 'firing' || severityRank(a.severity) < BANNER_RANK) return
  const text = `${a.drill ? `${t('alert.drill')}: ` : ''}${subjectName(a)} ${ruleLabel(a)}`
  // a repeated identical text is not re-read by some screen readers: clear first
  live.textContent = ''
  requestAnimationFrame(() => { live.textContent = text })
}

/** 避難情報を作成 on a river event at Lv3 or worse; the level is suggested by the server from NOW, not the peak */
function advisoryButton (g: AlertGroup, drafted: () => void): HTMLButtonElement | null {
  if (g.kind !== 'river' || (g.highestLevel ?? 0) < 3 || !canAct()) return null
  const b = h('button', { type: 'button', class: 'alert-advisory', 'data-subject-id': g.subjectId }, tv2('adv.open'))
  b.addEventListener('click', () => { void openAdvisoryDialog({ alertId: g.top.id, stationId: g.subjectId }).then(drafted) })
  return b
}
