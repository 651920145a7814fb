import mqtt, { type MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { readDemoConfig, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { addUser, apiFetch, signInPage, tokenFor } from '../helpers/auth.js'
import { launchChromium } from '../helpers/browser.js'

const PAYLOAD = '<img src=x onerror=alert(1)>'
const MINUTE = 60_000

/**
 * Markup where people type names and notes: a station name and a camera name
 * from the configuration, a hunter's and an area's name and an alert note from
 * the API. Each must show as the literal text in real Chromium — no element
 * made from it, no script run (a dialog would be the proof).
 */
describe('names and notes render as text (XSS) in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let device: MqttClient
  const dialogs: string[] = []
  const demo = readDemoConfig()
  const station = { ...demo.stations.find(s => s.id === 'uchikawa-oizumi')!, name: `内川 ${PAYLOAD}`, nameEn: `Uchikawa ${PAYLOAD}` }
  const camera = { ...demo.cameras[0]!, name: `カメラ ${PAYLOAD}`, nameEn: `Camera ${PAYLOAD}` }

  const open = async (user: string, path: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
    page.on('dialog', d => { dialogs.push(`${user}: ${d.message()}`); void d.dismiss() })
    await signInPage(page, t.info.dashboardUrl, user)
    await page.goto(t.info.dashboardUrl + path)
    return page
  }
  /** no element was made from the payload anywhere in the page */
  const injected = async (page: Page): Promise<number> => await page.evaluate(() => document.querySelectorAll('img[src="x"], [onerror]').length)

  beforeAll(async () => {
    t = await startTestApp({ stations: [station, ...demo.stations.filter(s => s.id !== station.id)], cameras: [camera, ...demo.cameras.slice(1)], vision: { enabled: false } })
    await addUser(t.config, 'xss-staff', 'staff')
    await addUser(t.config, 'xss-admin', 'admin')
    await addUser(t.config, 'xss-hunter', 'hunter', { hunterId: 'h-xss' })
    const post = async (path: string, body: unknown, token?: string): Promise<Response> => await apiFetch(t.info.dashboardUrl + path, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body)
    })
    expect((await post('/api/hunters', { id: 'h-xss', name: PAYLOAD })).status).toBe(201)
    expect((await post('/api/hunters/h-xss/areas', { name: PAYLOAD, shape: { type: 'circle', lat: camera.lat, lon: camera.lon, radiusM: 1000 } })).status).toBe(201)
    // a river alert at the renamed station, acknowledged with the payload as its note
    device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: station.deviceId })
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE
    for (const [i, level] of [0.7, 1.0, 1.05].entries()) {
      const frame = encodeUplink({ mode: 'observe', levelM: level, batteryV: 3.6, temperatureC: 14, spreadMm: 3, validPings: 20, totalPings: 20, time: base + i * 10 * MINUTE })
      await device.publishAsync(`mmr/v1/gauge/${station.deviceId}/up`, Buffer.from(frame), { qos: 1 })
    }
    const alert = await waitFor(async () => {
      const list = await (await apiFetch(`${t.info.dashboardUrl}/api/alerts?state=firing&kind=river`)).json() as Array<{ id: string }>
      return list[0]
    }, 'firing alert')
    const staff = await tokenFor(t.config, 'xss-script', 'staff')
    expect((await post(`/api/alerts/${alert.id}/ack`, { note: PAYLOAD }, staff)).status).toBe(200)
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await device?.endAsync()
    await t?.close()
  })

  it('station name (tooltip, popup, alert list) and camera name (marker, popup) on the map', async () => {
    const page = await open('xss-staff', '/')
    const label = page.locator('.station-label', { hasText: PAYLOAD })
    // a label may be hidden where it collides with a neighbour: it is the text that counts
    await label.first().waitFor({ state: 'attached' })
    expect(await label.first().textContent()).toContain(`内川 ${PAYLOAD}`)
    await page.locator(`#alert-list .alert-row[data-kind="river"]`).first().waitFor()
    expect(await page.locator('#alert-list').innerText()).toContain(PAYLOAD)
    await page.locator(`.station-marker[data-station-id="${station.id}"]`).click()
    await page.locator('.leaflet-popup-content').waitFor()
    expect(await page.locator('.leaflet-popup-content').innerText()).toContain(PAYLOAD)
    const cam = page.locator(`.camera-marker[data-camera-id="${camera.id}"]`)
    expect(await cam.getAttribute('aria-label')).toContain(PAYLOAD)
    await cam.click()
    await page.waitForFunction(p => document.querySelector('.leaflet-popup-content')?.textContent?.includes(`カメラ ${p}`) === true, PAYLOAD)
    expect(await injected(page)).toBe(0)
    await page.close()
  })

  it('hunter name and area name on the hunter page', async () => {
    const page = await open('xss-hunter', '/hunter.html')
    await page.locator('body[data-ready="true"]').waitFor()
    await page.locator('#hunter-who .hunter-name').waitFor()
    expect(await page.locator('#hunter-who .hunter-name').innerText()).toBe(PAYLOAD)
    expect(await page.locator('#hunter-who .hunter-area').innerText()).toBe(PAYLOAD)
    expect(await injected(page)).toBe(0)
    await page.close()
  })

  it('the alert note (and every other string) in the admin page\'s audit log', async () => {
    const page = await open('xss-admin', '/admin.html')
    await page.locator('body[data-ready="true"]').waitFor()
    const ack = page.locator('#audit-table tr[data-action="alert.ack"]')
    await ack.first().waitFor()
    expect(await ack.first().innerText()).toContain(PAYLOAD)
    expect(await page.locator('#audit-table tr[data-action="hunter.add"]').first().innerText()).toContain(PAYLOAD)
    expect(await injected(page)).toBe(0)
    await page.close()
  })

  it('no dialog opened on any page', () => {
    expect(dialogs).toEqual([])
  })

  it('a downlink that silences a gauge asks for confirmation first, and goes to the audit log with who and why', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
    await signInPage(page, t.info.dashboardUrl, 'xss-staff')
    await page.goto(t.info.dashboardUrl)
    const confirms: string[] = []
    let answer = false
    page.on('dialog', d => { confirms.push(d.message()); void (answer ? d.accept() : d.dismiss()) })
    await page.locator(`.station-marker[data-station-id="${station.id}"]`).click()
    const form = page.locator(`.leaflet-popup-content .downlink-form[data-station-id="${station.id}"]`)
    await page.locator('.leaflet-popup-content details.downlink summary').click()
    await form.locator('select.downlink-mode').selectOption('maintenance')
    await form.locator('input.downlink-reason').fill('橋梁点検')
    await form.locator('button.downlink-send').click()
    await waitFor(() => confirms.length === 1 ? true : undefined, 'confirmation asked')
    expect(confirms[0]).toContain('保守')
    const audit = async (): Promise<Array<{ action: string, actor: string, detail: { body: { reason: string, mode: string } } }>> =>
      await (await apiFetch(`${t.info.dashboardUrl}/api/admin/audit?action=downlink.send`)).json() as Array<{ action: string, actor: string, detail: { body: { reason: string, mode: string } } }>
    expect(await audit()).toEqual([]) // declined: nothing sent
    answer = true
    await form.locator('button.downlink-send').click()
    await form.locator('.downlink-status', { hasText: '送信しました' }).waitFor()
    expect(confirms).toHaveLength(2)
    expect(await audit()).toEqual([expect.objectContaining({ actor: 'xss-staff', detail: expect.objectContaining({ body: { mode: 'maintenance', reason: '橋梁点検' } }) })])
    await page.close()
  })
})
