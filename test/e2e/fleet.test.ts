import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { REPO_ROOT, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addUser, apiFetch, signInPage } from '../helpers/auth.js'

const SHOTS = join(REPO_ROOT, 'docs', 'screenshots')
const MINUTE = 60_000
const ID = 'e2e-shinbashi'
const DEVICE = 'gauge-e2e-shinbashi'

/**
 * The fleet page in Chromium: staff commission a gauge by clicking the map, the
 * credentials shown once connect a real MQTT client whose first reading appears on
 * the map; a threshold revision changes the next alert while the earlier alert keeps
 * the thresholds it fired with; a hunter cannot open the page.
 */
describe('fleet page in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let fleet: Page
  let map: Page
  let device: MqttClient | undefined
  const errors: string[] = []

  const frame = (levelM: number, time: number): Buffer =>
    Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 12, spreadMm: 3, validPings: 20, totalPings: 20, time }))

  beforeAll(async () => {
    t = await startTestApp({ broker: { allowAnonymous: false }, river: { rules: { clearDwellMinutes: 0 } } })
    await addUser(t.config, 'bousai-sato', 'staff')
    await addUser(t.config, 'ryoyu-kato', 'hunter', { hunterId: 'hunter-kato' })
    browser = await launchChromium()
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
    fleet = await ctx.newPage()
    fleet.on('pageerror', err => { errors.push(err.message) })
    await signInPage(fleet, t.info.dashboardUrl, 'bousai-sato')
    map = await ctx.newPage()
    map.on('pageerror', err => { errors.push(err.message) })
  })
  afterAll(async () => {
    await device?.endAsync()
    await browser?.close()
    await t?.close()
  })

  it('staff commission a gauge on the map; its first reading appears on the map', async () => {
    await fleet.goto(`${t.info.dashboardUrl}/fleet.html`)
    await fleet.locator('body[data-ready="true"]').waitFor()
    // our frame first, then every vendor profile the codec plug-ins answer on /api/devices/profiles
    const profiles = await fleet.locator('#fleet-profile option').allTextContents()
    expect(profiles[0]).toContain('mimamori frame v1')
    expect(profiles.some(p => /Dragino/i.test(p) && /LDDS75/i.test(p))).toBe(true)
    expect(profiles.length).toBeGreaterThan(1)
    const box = (await fleet.locator('#fleet-map').boundingBox())!
    await fleet.mouse.click(box.x + box.width * 0.6, box.y + box.height * 0.4)
    expect(await fleet.locator('#fleet-lat').inputValue()).not.toBe('')
    const fill = async (name: string, value: string): Promise<void> => { await fleet.locator(`#fleet-${name}`).fill(value) }
    await fill('id', ID)
    await fill('name', '試験川 (新橋)')
    await fill('nameEn', 'Test River (Shinbashi)')
    await fill('river', '試験川')
    await fill('deviceId', DEVICE)
    await fill('datum', '12.3')
    await fill('sensorHeight', '4')
    for (const [k, v] of [['observationStart', '0.3'], ['standby', '0.5'], ['caution', '1.0'], ['evacuationJudgement', '1.5'], ['danger', '2.0'], ['flooding', '2.5']]) await fill(k!, v!)
    // a validation error names the field in both languages and marks it
    await fleet.locator('#fleet-submit').click()
    await fleet.locator('.fleet-form-error').filter({ hasText: '値の出典' }).waitFor()
    expect(await fleet.locator('.fleet-form-error').textContent()).toContain('source of values')
    expect(await fleet.locator('#fleet-source').getAttribute('aria-invalid')).toBe('true')
    await fill('source', '山形県 河川課 2026-11 告示')
    await fleet.locator('#fleet-submit').click()
    await fleet.locator('#fleet-credentials [data-credential="mqttPassword"]').waitFor()
    const username = (await fleet.locator('[data-credential="mqttUser"]').textContent())!
    const password = (await fleet.locator('[data-credential="mqttPassword"]').textContent())!
    const topic = (await fleet.locator('[data-credential="topic"]').textContent())!
    expect({ username, topic }).toEqual({ username: DEVICE, topic: `mmr/v1/gauge/${DEVICE}/up` })
    await fleet.locator(`#fleet-table tr[data-id="${ID}"]`).waitFor()
    await fleet.screenshot({ path: join(mkdirSync(SHOTS, { recursive: true }) ?? SHOTS, 'fleet.png'), fullPage: true })

    await map.goto(t.info.dashboardUrl)
    await map.locator('#live-indicator[data-state="live"]').waitFor()
    // on the map at once, with no reading yet
    expect(await map.locator(`.station-marker[data-station-id="${ID}"]`).getAttribute('data-status')).toBe('unknown')
    device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: DEVICE, username, password, reconnectPeriod: 0 })
    await device.publishAsync(topic, frame(1.2, Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE), { qos: 1 })
    await map.waitForFunction(id => document.querySelector(`.station-marker[data-station-id="${id}"]`)?.getAttribute('data-status') === 'caution', ID)
    await map.locator(`#alert-list .alert-row[data-subject-id="${ID}"][data-rule="threshold.caution"] .alert-thresholds[data-revision="1"]`).waitFor()
  })

  it('a threshold revision changes the next alert; the earlier alert keeps its thresholds', async () => {
    await fleet.locator(`#fleet-table tr[data-id="${ID}"] button[data-action="thresholds"]`).click()
    await fleet.locator('#thresholds-history tr[data-revision="1"]').waitFor()
    await fleet.locator('#rev-evacuationJudgement').fill('1.3')
    await fleet.locator('#rev-source').fill('河川改修後の見直し (2026-12)')
    await fleet.locator('#rev-reason').fill('堤防改修')
    await fleet.locator('#thresholds-submit').click()
    await fleet.locator('#thresholds-history tr[data-revision="2"]').waitFor()

    // 1.4 m: below the old 避難判断水位 (1.5), above the revised one (1.3)
    await device!.publishAsync(`mmr/v1/gauge/${DEVICE}/up`, frame(1.4, Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE), { qos: 1 })
    await map.locator(`#alert-list .alert-row[data-subject-id="${ID}"][data-rule="threshold.evacuationJudgement"] .alert-thresholds[data-revision="2"]`).waitFor()
    // the panel groups a station's alerts under the worst one; the earlier alert (shown with revision 1
    // in the previous step) still carries revision 1 in the API
    const alerts = await waitFor(async () => {
      const list = await (await apiFetch(`${t.info.dashboardUrl}/api/alerts?kind=river`)).json() as Array<{ subjectId: string, rule: string, details: { thresholds: { revision: number, evacuationJudgement: number } } }>
      const mine = list.filter(a => a.subjectId === ID)
      return mine.some(a => a.rule === 'threshold.evacuationJudgement') ? mine : undefined
    }, 'the 避難判断 alert')
    expect(alerts.map(a => a.rule).sort()).toEqual(['threshold.caution', 'threshold.evacuationJudgement', 'threshold.standby'])
    expect(alerts.find(a => a.rule === 'threshold.caution')!.details.thresholds).toMatchObject({ revision: 1, evacuationJudgement: 1.5 })
    expect(alerts.find(a => a.rule === 'threshold.evacuationJudgement')!.details.thresholds).toMatchObject({ revision: 2, evacuationJudgement: 1.3 })
  })

  it('maintenance from the fleet page shows on the open map without a reload', async () => {
    await fleet.locator(`#fleet-table tr[data-id="${ID}"] button[data-action="maintenance"]`).click()
    await fleet.locator(`#fleet-table tr[data-id="${ID}"][data-state="maintenance"]`).waitFor()
    await map.waitForFunction(id => document.querySelector(`.station-marker[data-station-id="${id}"]`)?.getAttribute('data-fleet-state') === 'maintenance', ID)
    expect(await map.locator(`.station-marker[data-station-id="${ID}"]`).getAttribute('aria-label')).toContain('点検中')
    expect(errors).toEqual([])
  })

  it('a hunter cannot open the fleet page', async () => {
    const ctx = await browser.newContext({ locale: 'ja-JP' })
    const page = await ctx.newPage()
    await signInPage(page, t.info.dashboardUrl, 'ryoyu-kato')
    await page.goto(`${t.info.dashboardUrl}/fleet.html`)
    await page.locator('body[data-ready="forbidden"]').waitFor()
    expect(await page.locator('#fleet-error').textContent()).toContain('防災担当と管理者')
    expect(await page.locator('#commission-section').isHidden()).toBe(true)
    const status = await page.evaluate(async () => (await fetch('/api/fleet')).status)
    expect(status).toBe(403)
    await ctx.close()
  })
})
