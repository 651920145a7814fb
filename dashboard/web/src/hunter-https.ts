import type { ServerInfo } from '../../contract/server-info.js'
import { h } from './dom.js'
import { tn } from './notify-i18n.js'

/**
 * Browsers give push, service workers and "add to home screen" only to a secure
 * context: https://, or this machine itself (localhost). A hunter opening the
 * dashboard at http://192.168.x.x gets none of them, and asking them to add the
 * page to the home screen cannot help. Instead the page says that HTTPS is
 * missing, that the list still works while open, and what the operator must do.
 * Returns whether the page is a secure context (push can be offered).
 */
export function showHttpsWarning (box: HTMLElement): boolean {
  if (window.isSecureContext) {
    box.hidden = true
    box.replaceChildren()
    void networkNote(box)
    return true
  }
  box.hidden = false
  box.replaceChildren(
    h('h2', { class: 'https-warning-title' }, tn('https.title')),
    h('p', {}, tn('https.effect')),
    h('p', { class: 'https-warning-admin' },
      h('strong', {}, tn('https.adminLead')), ' ',
      tn('https.admin', { origin: location.origin }),
      h('code', {}, '"dashboard": { "tls": { "enabled": true, "cert": "…", "key": "…" } }'),
      tn('https.adminOr'),
      h('code', {}, 'proxy_pass http://127.0.0.1:…'),
      tn('https.adminEnd')))
  return false
}

/**
 * Opened on the server itself (localhost is a secure context) while the server listens
 * on the network over plain HTTP (GET /api/server-info): this phone works, the
 * hunters' phones will not. Said quietly, for the operator trying the page.
 */
async function networkNote (box: HTMLElement): Promise<void> {
  try {
    const res = await fetch('/api/server-info', { headers: { accept: 'application/json' }, cache: 'no-store' })
    if (!res.ok) return
    const info = await res.json() as ServerInfo
    if (info.secure || !info.networkBind) return
    box.hidden = false
    box.dataset.kind = 'note'
    box.setAttribute('role', 'status')
    box.replaceChildren(h('p', {}, tn('https.networkNote')))
  } catch {
    // an older server without the endpoint: nothing to add
  }
}
