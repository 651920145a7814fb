import type { Static } from 'typebox'
import type { ChannelStatusBody } from '../../contract/index.js'
import { tv2 } from './advisory-i18n.js'
import { h } from './dom.js'

type ChannelStatus = Static<typeof ChannelStatusBody>

const NAMES: Record<string, string> = { webpush: 'Web Push', email: 'メール / e-mail', webhook: 'Webhook', line: 'LINE', cap: 'CAP' }

/** Per-channel figures (GET /api/notify/status) under the alert list: sent, waiting, failing with the last error as a tooltip. */
export function createNotifyStatus (host: HTMLElement): { load(): Promise<void>, stop(): void } {
  const list = h('ul', {})
  const box = h('section', { class: 'notify-status', id: 'notify-status', hidden: true, 'aria-live': 'polite' }, h('span', {}, tv2('status.title')), list)
  host.append(box)
  const load = async (): Promise<void> => {
    try {
      const res = await fetch('/api/notify/status', { headers: { accept: 'application/json' }, cache: 'no-store' })
      if (!res.ok) return
      const { channels } = await res.json() as { channels: ChannelStatus[] }
      box.hidden = channels.length === 0
      list.replaceChildren(...channels.filter(c => c.enabled).map(c => {
        const ok = c.consecutiveFailures === 0
        return h('li', { 'data-channel': c.channel, 'data-ok': ok ? 'true' : 'false', title: c.lastError ?? '' },
          `${NAMES[c.channel] ?? c.channel} ${ok ? '✓' : `✗ ${tv2('status.failing')}`}`,
          c.pending > 0 ? ` · ${tv2('status.pending', { n: c.pending })}` : '')
      }))
    } catch {
      // the next poll tries again
    }
  }
  const timer = setInterval(() => { void load() }, 30_000)
  return { load, stop: () => { clearInterval(timer) } }
}
