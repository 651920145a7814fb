/*
 * mimamori service worker (scope /): shows pushes as notifications while no
 * page is open, and a tap opens the sighting (hunters) or the alert (staff).
 * Plain JavaScript, served as-is from dashboard/web/public; no caching of API
 * data: an old alert shown offline would be worse than none.
 */
self.addEventListener('install', () => { self.skipWaiting() })
self.addEventListener('activate', event => { event.waitUntil(self.clients.claim()) })

/* the server sends an absolute URL built from notify.publicUrl; open it on this origin */
function localUrl (url) {
  try {
    const u = new URL(url, self.location.origin)
    return u.pathname + u.search + u.hash
  } catch {
    return '/hunter.html'
  }
}

self.addEventListener('push', event => {
  let data = {}
  try {
    data = event.data ? event.data.json() : {}
  } catch {
    data = { title: '見守り', body: event.data ? event.data.text() : '' }
  }
  const title = typeof data.title === 'string' && data.title !== '' ? data.title : '見守り'
  const urgent = typeof data.level === 'number' && data.level >= 4
  event.waitUntil(show(title, data, urgent))
})

/* the notifier sends at least once: a re-send after a crash carries the same key and is not shown twice */
async function show (title, data, urgent) {
  const tag = typeof data.tag === 'string' ? data.tag : undefined
  const shown = await self.registration.getNotifications(tag === undefined ? {} : { tag })
  if (typeof data.key === 'string' && shown.some(n => n.data && n.data.key === data.key)) return
  await self.registration.showNotification(title, {
    body: typeof data.body === 'string' ? data.body.split('\n').slice(0, 4).join('\n') : '',
    tag,
    renotify: tag !== undefined,
    requireInteraction: urgent || data.kind === 'alert.escalated',
    lang: 'ja',
    icon: '/icons/icon-192.png',
    badge: '/icons/badge-96.png',
    data: { url: localUrl(typeof data.url === 'string' ? data.url : '/hunter.html'), key: data.key, alertId: data.alertId, sightingId: data.sightingId }
  })
}

self.addEventListener('notificationclick', event => {
  event.notification.close()
  const url = (event.notification.data && event.notification.data.url) || '/hunter.html'
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
    for (const w of windows) {
      if (new URL(w.url).pathname === new URL(url, self.location.origin).pathname && 'navigate' in w) {
        await w.focus()
        return await w.navigate(url)
      }
    }
    return await self.clients.openWindow(url)
  })())
})
