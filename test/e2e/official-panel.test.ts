import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { SHARED, startTestApp, type TestApp } from '../helpers/app.js'
import { openSignedInPage } from '../helpers/browser.js'
import { addUser } from '../helpers/auth.js'

/** Staff see the 判断補助 suggestion with its reason and the source in the alerts panel. */
describe('判断補助 in the alerts panel (Chromium)', () => {
  const replay = mkdtempSync(join(tmpdir(), 'mimamori-official-e2e-'))
  let t: TestApp
  let browser: Browser
  let page: Page
  let errors: string[] = []

  beforeAll(async () => {
    copyFileSync(join(SHARED, 'data', 'official', 'jma_sample_17_02_01_190529_VXWW50.xml'), join(replay, '01.xml'))
    t = await startTestApp({ official: { enabled: true, replayDir: replay, areas: [{ code: '0133100', name: '松前町<b>' }] } } as never)
    await addUser(t.config, 'staff-official', 'staff')
    ;({ browser, page, errors } = await openSignedInPage(t.info.dashboardUrl, 'staff-official'))
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
    rmSync(replay, { recursive: true, force: true })
  })

  it('shows 松前町 at 警戒レベル4 避難指示 (提案) because of the 土砂災害警戒情報, in the guideline colour, with 出典：気象庁', async () => {
    const area = page.locator('#official-list li.official-area[data-area="0133100"]')
    await area.waitFor({ state: 'visible' })
    expect(await area.getAttribute('data-level')).toBe('4')
    const head = await area.locator('.official-head').textContent()
    expect(head).toContain('警戒レベル4 避難指示（提案）')
    // the area name arrives as text, never markup
    expect(head).toContain('松前町<b>')
    expect(await area.locator('b').count()).toBe(0)
    expect(await area.locator('.official-reasons li[data-kind="landslide"]').textContent()).toContain('土砂災害警戒情報')
    const colour = await area.locator('.official-chip').evaluate(el => getComputedStyle(el).backgroundColor)
    expect(colour).toBe('rgb(170, 0, 170)')
    expect(await page.locator('#official-section .official-note').textContent()).toContain('出典：気象庁')
    expect(errors).toEqual([])
  })

  it('避難情報の下書き opens the advisory dialog pre-filled from the suggestion: レベル4, the area, the reasons and the source; nothing is issued', async () => {
    await page.locator('#official-list li[data-area="0133100"] .official-draft').click()
    const dialog = page.locator('#advisory-dialog')
    await dialog.waitFor({ state: 'visible' })
    await page.waitForFunction(() => (document.querySelector('#advisory-text') as HTMLTextAreaElement | null)?.value.includes('判断の根拠') === true)
    const text = await page.locator('#advisory-text').inputValue()
    expect(text).toContain('土砂災害警戒情報')
    expect(text).toContain('出典：気象庁')
    expect(await page.locator('input[name="advisory-level"][value="4"]').isChecked()).toBe(true)
    expect(await page.locator('#advisory-area').inputValue()).toBe('松前町<b>')
    const advisories = await (await fetch(`${t.info.dashboardUrl}/api/advisories`, { headers: { authorization: `Bearer ${t.token}` } })).json() as Array<{ status: string }>
    expect(advisories.every(a => a.status === 'draft')).toBe(true)
    expect(errors).toEqual([])
  })
})
