import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { SHARED, startTestApp, type TestApp } from '../helpers/app.js'
import { openSignedInPage } from '../helpers/browser.js'
import { addUser } from '../helpers/auth.js'
import { minimalTelegram } from '../helpers/official.js'

const HOSTILE = '<img src=x onerror="window.__officialXss=1">'

/** The JMA state per area/river on the staff map, in the guideline colours, with 出典：気象庁; MLIT gauges apart. */
describe('気象庁の発表 on the staff map (Chromium)', () => {
  const replay = mkdtempSync(join(tmpdir(), 'mimamori-official-map-e2e-'))
  let t: TestApp
  let browser: Browser
  let page: Page
  let errors: string[] = []

  beforeAll(async () => {
    // one 指定河川洪水予報 sequence: 氾濫注意情報 (レベル2相当) then 氾濫危険情報 (レベル4相当)
    copyFileSync(join(SHARED, 'data', 'official', 'jma_sample_16_01_01_220728_VXKOii.xml'), join(replay, '01.xml'))
    copyFileSync(join(SHARED, 'data', 'official', 'jma_sample_16_07_01_220728_VXKOii.xml'), join(replay, '02.xml'))
    // a 土砂災害警戒情報 whose area name is markup (escaped in the XML, so it arrives as that text)
    writeFileSync(join(replay, '03.xml'), minimalTelegram({ areaName: HOSTILE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') }))
    t = await startTestApp({
      official: {
        enabled: true,
        replayDir: replay,
        areas: [{ code: '0620300', name: '鶴岡市', floodAreas: ['123456789012'], referenceStations: ['ref-kumade'] }],
        referenceStations: [{ id: 'ref-kumade', name: '熊出', river: '赤川', lat: 38.66, lon: 139.83, thresholds: { standby: 1, caution: 2, evacuationJudgement: 3, danger: 4, flooding: 5 } }]
      }
    } as never)
    await addUser(t.config, 'staff-official-map', 'staff')
    ;({ browser, page, errors } = await openSignedInPage(t.info.dashboardUrl, 'staff-official-map'))
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
    rmSync(replay, { recursive: true, force: true })
  })

  it('lists the river at 氾濫危険情報 警戒レベル4相当 in the guideline purple, with 出典：気象庁, inside the map', async () => {
    const river = page.locator('#map #official-map-list li[data-area="123456789012"][data-product="flood"]')
    await river.waitFor({ state: 'visible' })
    expect(await river.getAttribute('data-level')).toBe('4')
    const text = await river.textContent()
    expect(text).toContain('○○川上流')
    expect(text).toContain('指定河川洪水予報')
    expect(text).toContain('氾濫危険情報')
    expect(text).toContain('警戒レベル4相当')
    const colour = await river.locator('.official-chip').evaluate(el => getComputedStyle(el).backgroundColor)
    expect(colour).toBe('rgb(170, 0, 170)')
    expect(await page.locator('#map #official-map-source').textContent()).toBe('出典：気象庁')
    expect(errors).toEqual([])
  })

  it('an area name carrying <img onerror> renders as text; no element, no script run', async () => {
    const area = page.locator('#official-map-list li[data-area="0620300"][data-product="landslide"]')
    await area.waitFor({ state: 'visible' })
    expect(await area.locator('.official-map-name').textContent()).toBe(HOSTILE)
    expect(await area.locator('img').count()).toBe(0)
    expect(await page.locator('#official-map img[src="x"]').count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { __officialXss?: number }).__officialXss)).toBeUndefined()
    expect(await area.textContent()).toContain('警戒レベル4相当')
    expect(errors).toEqual([])
  })

  it('draws the MLIT reference gauge as a square 国 marker, apart from our stations, titled 参照: 国交省', async () => {
    const marker = page.locator('#map .reference-marker')
    await marker.first().waitFor({ state: 'attached' })
    expect(await marker.count()).toBe(1)
    expect(await marker.locator('.reference-square[data-reference="ref-kumade"]').textContent()).toBe('国')
    expect(await marker.getAttribute('title')).toContain('参照: 国交省')
    expect(await marker.getAttribute('title')).toContain('熊出')
  })
})
