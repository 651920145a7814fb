import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { openWildlifeRepo } from '../../store/wildlife.js'
import { REPO_ROOT, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addUser, apiFetch, signInPage } from '../helpers/auth.js'
import { capProblems, capValues } from '../helpers/cap.js'
import { stationLabel } from '../../notify/message.js'
import { decryptAes128gcm, selfSignedCert, startHttpPeer, type HttpPeer } from '../helpers/notify-peers.js'

const SHOTS = join(REPO_ROOT, 'docs', 'screenshots')

/**
 * Notifications in real Chromium. Hunter: the page installs as a PWA (manifest,
 * service worker, no installability errors); with the page closed, the push the
 * notifier really sent (decrypted from the local push service) is delivered to
 * the service worker over CDP; it shows a notification whose tap opens the
 * sighting, and 向かいます acknowledges the alert. Staff: an advisory drafted
 * from a Lv4 alert, confirmed in the dialog, appears in the public CAP feed.
 */
describe('notifications in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let push: HttpPeer
  const errors: string[] = []

  beforeAll(async () => {
    // the push service stand-in speaks HTTPS with a throwaway certificate (web-push refuses http)
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
    push = await startHttpPeer(201, 0, selfSignedCert())
    t = await startTestApp({ notify: { pollMs: 50, retryMinMs: 50, publicUrl: 'https://bousai.example.jp' } })
    await addUser(t.config, 'notify-staff', 'staff')
    await addUser(t.config, 'tanaka', 'hunter', { hunterId: 'hunter-a' })
    expect((await apiFetch(`${t.info.dashboardUrl}/api/hunters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'hunter-a', name: '田中' }) })).status).toBe(201)
    browser = await launchChromium()
    mkdirSync(SHOTS, { recursive: true })
  })

  afterAll(async () => {
    delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
    await browser?.close()
    await t?.close()
    await push?.close()
  })

  const watch = (p: Page): Page => {
    p.on('pageerror', err => { errors.push(err.message) })
    return p
  }

  it('hunter: installable PWA; a push with the page closed shows a notification whose tap opens the sighting; 向かいます acknowledges', async () => {
    const base = t.info.dashboardUrl
    const context: BrowserContext = await browser.newContext({ viewport: { width: 412, height: 860 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo', permissions: ['notifications'], deviceScaleFactor: 1 })
    const page = watch(await context.newPage())
    await signInPage(page, base, 'tanaka')
    await page.goto(`${base}/hunter.html`)
    await page.locator('body[data-ready="true"]').waitFor()
    await page.evaluate(async () => { await navigator.serviceWorker.ready })
    const cdp = await context.newCDPSession(page)
    const installability = await cdp.send('Page.getInstallabilityErrors') as { installabilityErrors: Array<{ errorId: string }> }
    // a Playwright context is an incognito profile, where Chromium never offers installation; nothing else may be missing
    expect(installability.installabilityErrors.map(e => e.errorId).filter(id => id !== 'in-incognito')).toEqual([])
    // the offer appears after sign-in; headless Chromium has no push service to subscribe to, so the
    // server side of the subscription is registered through the same API the page calls
    await page.locator('#push-offer').waitFor()

    // the hunter's browser keys (generated here, where the test can decrypt) registered for tanaka
    const { createECDH, randomBytes } = await import('node:crypto')
    const ecdh = createECDH('prime256v1')
    ecdh.generateKeys()
    const auth = randomBytes(16)
    const reg = await page.evaluate(async (body) => {
      const me = await (await fetch('/api/auth/me')).json() as { csrfToken: string | null }
      const res = await fetch('/api/notify/push-subscription', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken ?? '' }, body })
      return res.status
    }, JSON.stringify({ endpoint: `${push.url}/push/tanaka`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } }))
    expect(reg).toBe(200)
    await page.close() // the page is closed when the monkeys come

    // a sighting in hunter-a's area: its alert goes through the outbox to the push service
    const cam = t.config.cameras[0]!
    const sightingId = randomUUID()
    const repo = openWildlifeRepo(resolve(t.config.dataDir, t.config.store.file))
    const alert = t.app.alerts!.raise({
      kind: 'wildlife', subjectId: cam.id, rule: 'sighting', severity: 'moderate', title: `サル出没 ${cam.name} / monkeys at ${cam.nameEn}`,
      details: { sightingId, cameraId: cam.id, lat: cam.lat, lon: cam.lon, score: 0.72, label: 'macaque', positives: 3, frames: 3, hunters: ['hunter-a'], thumbnailUrl: null }
    })
    repo.writeSighting({ id: sightingId, cameraId: cam.id, burstId: 'b-e2e', time: Date.now() - 60_000, lat: cam.lat, lon: cam.lon, frames: 3, positives: 3, bestScore: 0.72, bestFrameIndex: 1, label: 'macaque', thumbnail: null, alertId: alert.id, suppressed: false, hunters: ['hunter-a'] })
    repo.close()
    await waitFor(() => push.requests.length === 1 ? true : undefined, 'the push request')
    const payload = decryptAes128gcm(push.requests[0]!.body, ecdh.getPrivateKey(), ecdh.getPublicKey(), auth)
    expect(JSON.parse(payload)).toMatchObject({ kind: 'alert.firing', sightingId, alertId: alert.id })

    // the browser's push service would now wake the service worker: CDP delivers the same bytes' plaintext
    const blank = await context.newPage()
    const swCdp = await context.newCDPSession(blank)
    const registrations: Array<{ registrationId: string, scopeURL: string }> = []
    swCdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Array<{ registrationId: string, scopeURL: string }> }) => { registrations.push(...e.registrations) })
    await swCdp.send('ServiceWorker.enable')
    const registration = await waitFor(() => registrations.find(r => r.scopeURL.startsWith(base)), 'the service worker registration')
    await swCdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(base).origin, registrationId: registration.registrationId, data: payload })

    const probe = watch(await context.newPage())
    await probe.goto(`${base}/login.html`)
    const shown = await waitFor(async () => {
      const list = await probe.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map(n => ({ title: n.title, body: n.body, data: n.data as { url: string } })))
      return list.length > 0 ? list[0] : undefined
    }, 'the notification')
    expect(shown!.title).toContain('サル出没')
    expect(shown!.body).toContain('信頼度: 高')
    expect(shown!.data.url).toBe(`/hunter.html?alert=${alert.id}&sighting=${sightingId}`) // made relative to this origin
    // a re-send after a notifier crash carries the same key: the phone shows it once
    await swCdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(base).origin, registrationId: registration.registrationId, data: payload })
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(await probe.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length)).toBe(1)

    // the tap opens the sighting
    await probe.goto(base + shown!.data.url)
    const focus = probe.locator('#sighting-focus')
    await focus.waitFor()
    expect(await focus.locator('.sighting-confidence').innerText()).toBe('信頼度 高')
    expect(await focus.innerText()).not.toContain('macaque')
    await probe.locator('#sighting-map.leaflet-container').waitFor()
    expect(await focus.locator('.sighting-actions button').allInnerTexts()).toEqual(['向かいます', 'サルでした', '誤報'])
    await probe.screenshot({ path: join(SHOTS, 'hunter-notification.png') })
    await focus.locator('button[data-action="enRoute"]').click()
    await focus.locator('[data-sent="enRoute"]').or(probe.locator('#sighting-focus[data-sent="enRoute"]')).first().waitFor()
    const after = await (await apiFetch(`${base}/api/alerts/${alert.id}`)).json() as { state: string, acknowledgedBy: string }
    expect(after).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'tanaka' })
    await context.close()
  })

  it('staff: drafts an advisory from a Lv4 alert, confirms it, and finds it in the public CAP feed; resolve asks first', async () => {
    const base = t.info.dashboardUrl
    const station = t.config.stations.find(s => s.id === 'seiryuji-shingata') ?? t.config.stations[0]!
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
    const page = watch(await context.newPage())
    await signInPage(page, base, 'notify-staff')
    await page.goto(base + '/')
    await page.locator('body[data-ready="true"]').waitFor()
    for (const [rule, severity] of [['threshold.caution', 'moderate'], ['threshold.evacuationJudgement', 'severe'], ['threshold.danger', 'extreme']] as const) {
      t.app.alerts!.raise({ kind: 'river', subjectId: station.id, rule, severity, title: `${station.name}: ${rule}`, details: { level: station.thresholds.danger + 0.1 } })
    }
    // one row for the station event, showing the highest level
    const row = page.locator(`.alert-row[data-members="3"]`)
    await row.waitFor()
    expect(await page.locator('.alert-row[data-kind="river"]').count()).toBe(1)
    expect(await row.getAttribute('data-level')).toBe('4')
    expect(await row.locator('.alert-group-highest').innerText()).toBe('最高 Lv4')

    // resolve asks for confirmation; "やめる" keeps the alerts
    await row.locator('.alert-resolve').click()
    await page.locator('dialog.confirm-dialog').waitFor()
    await page.locator('#confirm-no').click()
    expect(await page.locator('.alert-row[data-kind="river"]').count()).toBe(1)

    await row.locator('.alert-advisory').click()
    const dialog = page.locator('#advisory-dialog')
    await dialog.waitFor()
    await page.waitForFunction(() => (document.querySelector<HTMLTextAreaElement>('#advisory-text')?.value ?? '').includes('を発令します'))
    expect(await dialog.locator('input[name="advisory-level"][value="4"]').isChecked()).toBe(true)
    const text = await dialog.locator('#advisory-text').inputValue()
    expect(text).toContain(`${station.river}・${stationLabel(station)}の水位は`)
    await dialog.locator('#advisory-area').fill('大宝寺・日枝地区')
    await page.screenshot({ path: join(SHOTS, 'advisory-dialog.png') })
    await dialog.locator('#advisory-next').click()
    await page.locator('dialog.confirm-dialog').waitFor()
    expect(await page.locator('dialog.confirm-dialog').innerText()).toContain('大宝寺・日枝地区')
    await page.locator('#confirm-yes').click()
    await page.locator('.advisory-item[data-level="4"]').waitFor()

    const feed = await waitFor(async () => {
      const atom = await (await fetch(`${base}/api/cap/feed.atom`)).text()
      return atom.includes('<entry>') ? atom : undefined
    }, 'the CAP feed entry')
    const href = /href="[^"]*(\/api\/cap\/[^"]+\.xml)"/.exec(feed)![1]!
    const xml = await (await fetch(base + href)).text()
    expect(capProblems(xml)).toEqual([])
    expect(capValues(xml, 'areaDesc')).toEqual(['大宝寺・日枝地区'])
    expect(capValues(xml, 'event')).toEqual(['避難指示（警戒レベル4）'])
    expect(errors).toEqual([])
    await context.close()
  })
})
