import { byId } from './dom.js'
import { formatLevel } from './format.js'
import { displayName, statusLabel, t } from './i18n.js'
import { severity } from './levels.js'
import type { StationView, StatusChange } from './types.js'

const ANNOUNCE_MS = 15_000

/** the toast over the map (#announcer) and the screen reader's live region for each band change */
export function createChangeAnnouncer (): (change: StatusChange, station: StationView | undefined) => void {
  const announcer = byId('announcer')
  const announcerText = byId('announcer-text')
  const srAnnouncer = byId('sr-announcer')
  let announceTimer: ReturnType<typeof setTimeout> | undefined
  byId('announcer-close').addEventListener('click', () => { announcer.hidden = true })
  return (change, station) => {
    const message = t('event.change', {
      name: station === undefined ? change.stationId : displayName(station),
      from: statusLabel(change.from),
      to: statusLabel(change.to),
      level: formatLevel(change.level)
    })
    announcerText.textContent = message
    // a live region that is always in the page, so screen readers hear each change
    srAnnouncer.textContent = message
    announcer.dataset.to = change.to
    announcer.dataset.direction = severity(change.to) > severity(change.from) ? 'up' : 'down'
    announcer.hidden = false
    clearTimeout(announceTimer)
    announceTimer = setTimeout(() => { announcer.hidden = true }, ANNOUNCE_MS)
  }
}
