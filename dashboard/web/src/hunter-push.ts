import { byId, h } from './dom.js'
import { tn } from './notify-i18n.js'
import { csrfHeaders, type Me } from './session.js'

/**
 * The hunter page as an installable PWA that receives pushes: registers the
 * service worker (/sw.js, scope /), and after sign-in offers a button that asks
 * for notification permission (browsers want a tap for it), subscribes with the
 * server's VAPID key and registers the subscription for the signed-in user.
 */
export async function registerServiceWorker (): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined
  try {
    return await navigator.serviceWorker.register('/sw.js', { scope: '/' })
  } catch {
    return undefined
  }
}

function urlBase64ToUint8Array (base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = (base64url + '='.repeat((4 - base64url.length % 4) % 4)).replace(/-/g, '+').replace(/_/g, '/')
  const raw = atob(b64)
  const out = new Uint8Array(new ArrayBuffer(raw.length))
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

async function subscribe (reg: ServiceWorkerRegistration): Promise<void> {
  const res = await fetch('/api/notify/vapid-public-key', { headers: { accept: 'application/json' }, cache: 'no-store' })
  if (!res.ok) throw new Error(`${res.status}`)
  const { publicKey } = await res.json() as { publicKey: string }
  const sub = await reg.pushManager.getSubscription() ?? await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(publicKey) })
  const json = sub.toJSON()
  const post = await fetch('/api/notify/push-subscription', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() },
    body: JSON.stringify({ endpoint: json.endpoint, keys: json.keys })
  })
  if (!post.ok) throw new Error(`${post.status}`)
}

/** the permission offer under the header; renders into #push-offer (created when missing) */
export async function offerPush (me: Me): Promise<void> {
  const reg = await registerServiceWorker()
  let box = document.getElementById('push-offer')
  if (box === null) {
    box = h('section', { id: 'push-offer', class: 'push-offer', 'aria-live': 'polite' })
    byId('hunter-alerts').parentElement?.prepend(box)
  }
  const show = (...children: Array<Node | string>): void => { box.replaceChildren(...children) }
  if (reg === undefined || !('PushManager' in window) || !('Notification' in window)) {
    show(h('p', { class: 'push-note' }, tn('push.unsupported')))
    return
  }
  if (Notification.permission === 'denied') {
    show(h('p', { class: 'push-note' }, tn('push.denied')))
    return
  }
  const enable = async (): Promise<void> => {
    try {
      const p = await Notification.requestPermission()
      if (p !== 'granted') { show(h('p', { class: 'push-note' }, tn('push.denied'))); return }
      show(h('p', { class: 'push-note', 'data-state': 'subscribing' }, '…'))
      await subscribe(reg)
      show(h('p', { class: 'push-note', 'data-state': 'on' }, tn('push.on')))
    } catch (err) {
      show(h('p', { class: 'push-note', 'data-state': 'error', role: 'alert' }, tn('push.failed', { msg: (err as Error).message })))
    }
  }
  if (Notification.permission === 'granted') {
    await enable()
    return
  }
  const button = h('button', { type: 'button', class: 'push-enable', id: 'push-enable' }, tn('push.enable'))
  button.addEventListener('click', () => { void enable() })
  show(h('p', { class: 'push-note' }, tn('push.offer', { user: me.username })), button)
}
