import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { createDashboard, type Dashboard } from '../../dashboard/server/index.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { addUser, signInPage } from '../helpers/auth.js'
import { launchChromium } from '../helpers/browser.js'

/**
 * The sign-in protections as people meet them in Chromium: the admin sees a
 * locked account and lifts the lock with one button; the demo's one-time link
 * signs this machine's browser in, and the sign-in page says to use it.
 */
describe('sign-in lock and demo link in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let demo: Dashboard | undefined

  beforeAll(async () => {
    t = await startTestApp({ vision: { enabled: false } })
    await addUser(t.config, 'guard-admin', 'admin')
    await addUser(t.config, 'guard-staff', 'staff')
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    await t?.close()
  })

  it('an account under attack shows as locked on the admin page; ロック解除 lifts it and a new browser signs in', async () => {
    const app = t.app.dashboard!.app
    // guesses from many addresses (a botnet): the account refuses clients it has not seen
    for (let i = 0; i < 12; i++) await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: `198.51.100.${i + 1}`, payload: { username: 'guard-staff', password: `guess-${i}-password` } })
    const staffPage = await browser.newPage({ locale: 'ja-JP' })
    await staffPage.goto(`${t.info.dashboardUrl}/login.html`)
    await staffPage.locator('#login-username').fill('guard-staff')
    await staffPage.locator('#login-password').fill('correct horse battery staple')
    await staffPage.locator('#login-submit').click()
    await staffPage.locator('#login-error:not([hidden])').waitFor()
    expect(await staffPage.locator('#login-error').innerText()).toContain('ログインの失敗が多すぎます')

    const adminPage = await browser.newPage({ locale: 'ja-JP' })
    await signInPage(adminPage, t.info.dashboardUrl, 'guard-admin')
    await adminPage.goto(`${t.info.dashboardUrl}/admin.html`)
    const row = adminPage.locator('#users-table tr[data-username="guard-staff"]')
    await row.locator('button.unlock').waitFor()
    expect(await row.innerText()).toContain('ログインを制限中')
    await row.locator('button.unlock').click()
    await row.locator('button.unlock').waitFor({ state: 'detached' })
    expect(await row.innerText()).not.toContain('ログインを制限中')

    await staffPage.locator('#login-password').fill('correct horse battery staple')
    await Promise.all([staffPage.waitForURL(u => u.pathname === '/'), staffPage.locator('#login-submit').click()])
    // the unlock is in the audit log, by the admin who clicked
    await adminPage.reload()
    const audit = adminPage.locator('#audit-table tr[data-action="user.unlock"]')
    await audit.first().waitFor()
    expect(await audit.first().innerText()).toContain('guard-admin')
    await staffPage.close()
    await adminPage.close()
  })

  it('demo: the sign-in page points to the terminal link; the link signs this browser in once, with the red banner', async () => {
    demo = createDashboard({
      config: { ...t.config, dashboard: { ...t.config.dashboard, port: 0, auth: { ...t.config.dashboard.auth, demoLogin: true } } }, logger: silentLogger(), bus: t.app.bus, store: t.app.store!, alerts: t.app.alerts!, notifier: t.app.notifications!
    })
    const info = await demo.start()
    const page = await browser.newPage({ locale: 'ja-JP' })
    await page.goto(`http://127.0.0.1:${info.port}/`)
    await page.waitForURL(u => u.pathname === '/login.html')
    await page.locator('#login-demo:not([hidden])').waitFor()
    expect(await page.locator('#login-demo').innerText()).toContain('端末に表示されたログイン用リンク')
    expect(await page.locator('#login-insecure').isHidden()).toBe(true)
    await page.goto(info.demoLink!)
    await page.waitForURL(u => u.pathname === '/')
    await page.locator('#demo-banner').waitFor()
    // the same link in another browser (a fresh context) is spent
    const other = await browser.newContext()
    const again = await other.request.get(info.demoLink!, { maxRedirects: 0 })
    expect(again.status()).toBe(403)
    await other.close()
    await page.close()
  })
})
