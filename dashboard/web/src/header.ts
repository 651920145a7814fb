import { byId } from './dom.js'
import { formatClock } from './format.js'
import { lang, setLang, t, type Lang } from './i18n.js'
import type { LiveState } from './live.js'

/**
 * Header widgets: the live indicator (`#live-indicator[data-state]`), the time
 * of the last data received (`#last-update`) and the 日本語/English switch.
 */
export function createHeader (): { live(state: LiveState): void, touched(at?: Date): void, relabel(): void } {
  const indicator = byId('live-indicator')
  const indicatorLabel = byId('live-label')
  const lastUpdate = byId('last-update-time')
  let state: LiveState = 'connecting'
  let last: Date | undefined

  for (const button of document.querySelectorAll<HTMLButtonElement>('#lang-toggle button[data-lang]')) {
    button.addEventListener('click', () => { setLang(button.dataset.lang === 'en' ? 'en' : 'ja') })
  }

  function render (): void {
    indicator.dataset.state = state
    indicatorLabel.textContent = t(`live.${state}`)
    lastUpdate.textContent = last === undefined ? '—' : formatClock(last)
    if (last !== undefined) lastUpdate.setAttribute('datetime', last.toISOString())
    const current: Lang = lang()
    for (const button of document.querySelectorAll<HTMLButtonElement>('#lang-toggle button[data-lang]')) {
      button.setAttribute('aria-pressed', button.dataset.lang === current ? 'true' : 'false')
    }
  }
  render()

  return {
    live (next) {
      state = next
      render()
    },
    touched (at = new Date()) {
      last = at
      render()
    },
    relabel: render
  }
}
