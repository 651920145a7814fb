import { afterEach, describe, expect, it } from 'vitest'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch, tokenFor } from '../helpers/auth.js'
import { capProblems } from '../helpers/cap.js'
import { startHttpPeer, type HttpPeer } from '../helpers/notify-peers.js'
import { stationLabel } from '../../notify/message.js'

let t: TestApp | undefined
let hook: HttpPeer | undefined
afterEach(async () => { await t?.close(); await hook?.close(); t = undefined; hook = undefined })

describe('notification API', () => {
  it('registers push subscriptions per user, drafts and issues an advisory, serves the public CAP feed and reports channel status', async () => {
    hook = await startHttpPeer(200)
    t = await startTestApp({ notify: { pollMs: 50, channels: { webhook: { secret: 'k' } } } })
    const base = t.info.dashboardUrl
    const key = await (await apiFetch(`${base}/api/notify/vapid-public-key`)).json() as { publicKey: string }
    expect(Buffer.from(key.publicKey, 'base64url')).toHaveLength(65)

    const endpoint = 'https://push.example.net/send/abc'
    const push = await apiFetch(`${base}/api/notify/push-subscription`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint, keys: { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) } }) })
    expect(push.status).toBe(200)
    const again = await apiFetch(`${base}/api/notify/push-subscription`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint, keys: { p256dh: 'C'.repeat(87), auth: 'A'.repeat(22) } }) })
    expect((await again.json() as { id: string }).id).toBe((await push.json() as { id: string }).id) // same browser, one subscription
    const mine = await (await apiFetch(`${base}/api/notify/subscriptions`)).json() as Array<{ channel: string, address: string }>
    expect(mine).toEqual([expect.objectContaining({ channel: 'webpush', address: 'https://push.example.net' })]) // keys never shown

    // a public outlet for advisories, added by an operator
    const outlet = await apiFetch(`${base}/api/notify/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'town-website', role: 'public', channel: 'webhook', address: `${hook.url}/cap`, advisories: true }) })
    expect(outlet.status).toBe(200)
    // a researcher may not subscribe someone else
    const researcher = await tokenFor(t.config, 'res-1', 'researcher')
    const denied = await fetch(`${base}/api/notify/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${researcher}` }, body: JSON.stringify({ userId: 'x', channel: 'email', address: 'a@b.jp' }) })
    expect(denied.status).toBe(403)

    const station = t.config.stations[0]!
    const draft = await apiFetch(`${base}/api/advisories/draft`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stationId: station.id, level: 3 }) })
    expect(draft.status).toBe(200)
    const d = await draft.json() as { id: string, text: string, status: string }
    expect(d.status).toBe('draft')
    expect(d.text).toContain(`${station.river}・${stationLabel(station)}の水位は`)
    expect(d.text).not.toContain(`${station.river}の${station.river}`)
    expect(d.text).toContain('高齢者等避難（警戒レベル3）を発令します')
    const issued = await apiFetch(`${base}/api/advisories/${d.id}/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect((await issued.json() as { status: string }).status).toBe('issued')
    await waitFor(() => hook!.requests.length === 1 ? true : undefined, 'advisory to the public outlet')

    // the CAP feed needs no sign-in
    const feed = await fetch(`${base}/api/cap/feed.atom`)
    expect(feed.status).toBe(200)
    expect(feed.headers.get('content-type')).toContain('application/atom+xml')
    const atom = await feed.text()
    const link = /href="[^"]*(\/api\/cap\/[^"]+\.xml)"/.exec(atom)?.[1]
    expect(link).toBeDefined()
    const cap = await fetch(`${base}${link!}`)
    expect(cap.headers.get('content-type')).toContain('application/cap+xml')
    expect(capProblems(await cap.text())).toEqual([])

    const status = await (await apiFetch(`${base}/api/notify/status`)).json() as { channels: Array<{ channel: string, sent: number }> }
    expect(status.channels.find(c => c.channel === 'webhook')?.sent).toBe(1)
    expect(status.channels.find(c => c.channel === 'cap')?.sent).toBe(1)
    const metrics = await (await apiFetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/mimamori_notify_webhook_sent 1/)
  })
})
