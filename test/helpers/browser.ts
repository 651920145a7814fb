import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { signInPage } from './auth.js'

export const CHROMIUM = process.env.MIMAMORI_CHROMIUM ?? '/usr/bin/chromium'

/**
 * Debian's Chromium, headless, with the flags that keep it off the (closed) network.
 * `extraArgs`: e.g. `--host-resolver-rules=MAP bousai.lan 127.0.0.1`, to open the
 * dashboard under a network name (plain HTTP there is not a secure context).
 */
export async function launchChromium (extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install the Debian package (apt-get install chromium) or set MIMAMORI_CHROMIUM`)
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs]
  })
}

/**
 * A signed-in staff page on the dashboard, at Japanese locale and JST, collecting page errors and
 * console errors into `errors` (tests assert it stays empty), opened at `url`.
 */
export async function openSignedInPage (url: string, username: string): Promise<{ browser: Browser, page: Page, errors: string[] }> {
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
  await signInPage(page, url, username)
  const errors: string[] = []
  page.on('pageerror', err => { errors.push(err.message) })
  page.on('console', msg => { if (msg.type() === 'error') errors.push(msg.text()) })
  await page.goto(url)
  return { browser, page, errors }
}
