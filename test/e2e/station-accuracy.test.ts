import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { Reading } from '../../core/types.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addUser, signInPage } from '../helpers/auth.js'

const MINUTE = 60_000
const OURS = 'akagawa-haguro'
const REFERENCE = 'oyama-oyama'

function reading (stationId: string, deviceId: string, time: number, level: number, seq: number): Reading {
  return { stationId, deviceId, time, receivedAt: time + 1500, level, batteryV: 3.6, temperatureC: 20, spreadMm: 4, validPings: 19, totalPings: 20, deviceFlags: 0, seq, qc: { flag: 1, tests: {} } }
}

/** A researcher opens 精度評価 on the station page and reads the figures the API computed, as text. */
describe('精度評価 tab in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let page: Page
  const errors: string[] = []

  beforeAll(async () => {
    t = await startTestApp()
    const end = Math.floor(Date.now() / (10 * MINUTE)) * 10 * MINUTE - 60 * MINUTE
    // the last 20 h: a wave on the reference; ours the same wave 30 min later and 5 cm higher
    for (let i = 0; i < 120; i++) {
      const time = end - (119 - i) * 10 * MINUTE
      const level = 1 + 1.2 * Math.exp(-(((i - 60) / 15) ** 2))
      await t.app.store!.writeReading(reading(REFERENCE, 'gauge-oyama-01', time, level, i))
      await t.app.store!.writeReading(reading(OURS, 'gauge-akagawa-01', time + 30 * MINUTE, level + 0.05, i))
    }
    browser = await launchChromium()
    page = await (await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })).newPage()
    page.on('pageerror', err => { errors.push(err.message) })
    await addUser(t.config, 'kenkyu', 'researcher')
    await signInPage(page, t.info.dashboardUrl, 'kenkyu')
  }, 120_000)
  afterAll(async () => { await browser?.close(); await t?.close() })

  it('shows lag +30 min and bias at lag +0.050 m against another station, the level view hidden meanwhile', async () => {
    await page.goto(`${t.info.dashboardUrl}/#station=${OURS}`)
    await page.locator('.station-tabs button[data-tab="accuracy"]').click()
    await expect.poll(async () => await page.locator('.hydrograph').isVisible()).toBe(false)
    await page.locator(`.accuracy-reference option[value="${REFERENCE}"]`).waitFor({ state: 'attached' })
    await page.locator('.accuracy-reference').selectOption(REFERENCE)
    await page.locator('.accuracy-run').click()
    await page.locator('.accuracy-report').waitFor()
    expect(await page.locator('[data-metric="lag"] dd').textContent()).toBe('+30 分 / min')
    expect(await page.locator('[data-metric="bias-at-lag"] dd').textContent()).toBe('+0.050 m')
    expect(await page.locator('.accuracy-crossings caption').textContent()).toContain('基準水位の超過一致')
    expect(errors).toEqual([])
  })
})
