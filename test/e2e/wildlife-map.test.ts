import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { silentLogger } from '../../core/logger.js'
import { createSimulatedCamera, type SimulatedCamera } from '../../simulators/camera-device.js'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addUser, apiFetch, signInPage } from '../helpers/auth.js'

const img = (name: string): string => join(SHARED, 'images', name)

/**
 * Wildlife on the map and on a hunter's phone, in real Chromium: a burst of
 * real monkey photos goes through the real model; the camera marker turns to
 * its sighting state over SSE with the thumbnail in its popup, and the hunter
 * whose area holds the camera sees the alert appear live and confirms it.
 */
describe('wildlife map and hunter view in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let map: Page
  let hunter: Page
  let other: Page
  let cam: SimulatedCamera
  const errors: string[] = []
  const post = async (path: string, body: unknown): Promise<number> =>
    (await apiFetch(t.info.dashboardUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status

  beforeAll(async () => {
    t = await startTestApp({
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 2 },
      wildlife: { minPositiveFrames: 2 }
    })
    const y = t.config.cameras.find(c => c.id === 'cam-yutagawa-01')!
    expect(await post('/api/hunters', { id: 'hunter-a', name: '田中' })).toBe(201)
    expect(await post('/api/hunters', { id: 'hunter-far', name: '鈴木' })).toBe(201)
    expect(await post('/api/hunters/hunter-a/areas', { shape: { type: 'circle', lat: y.lat, lon: y.lon, radiusM: 1500 } })).toBe(201)
    expect(await post('/api/hunters/hunter-far/areas', { shape: { type: 'circle', lat: 35, lon: 135, radiusM: 1500 } })).toBe(201)
    // each person signs in with their own account; a hunter's account is bound to their hunter profile
    await addUser(t.config, 'map-staff', 'staff')
    await addUser(t.config, 'tanaka', 'hunter', { hunterId: 'hunter-a' })
    await addUser(t.config, 'suzuki', 'hunter', { hunterId: 'hunter-far' })
    cam = createSimulatedCamera({ camera: y, mqttUrl: t.info.mqttUrl, logger: silentLogger(), jpeg: { maxSide: 1280, quality: 95 } })
    await cam.connect()

    browser = await launchChromium()
    const open = async (path: string, user: string): Promise<Page> => {
      const p = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
      await signInPage(p, t.info.dashboardUrl, user)
      p.on('pageerror', err => { errors.push(err.message) })
      p.on('console', msg => { if (msg.type() === 'error') errors.push(msg.text()) })
      await p.goto(t.info.dashboardUrl + path)
      await p.locator('body[data-ready="true"]').waitFor()
      await p.locator('#live-indicator[data-state="live"]').waitFor()
      return p
    }
    map = await open('/', 'map-staff')
    // no picker: the hunter page shows the signed-in hunter's own areas
    hunter = await open('/hunter.html', 'tanaka')
    other = await open('/hunter.html', 'suzuki')
    expect(await hunter.locator('#hunter-select').count()).toBe(0)
  })

  afterAll(async () => {
    await browser?.close()
    await cam?.close()
    await t?.close()
  })

  it('turns the camera marker to its sighting state live, with score, time and the best-frame thumbnail in the popup', async () => {
    const marker = map.locator('.camera-marker[data-camera-id="cam-yutagawa-01"]')
    expect(await marker.getAttribute('data-sighting')).toBe('none')
    expect(await hunter.locator('.hunter-alert').count()).toBe(0)

    await cam.burstOf([img('monkey_09.jpg'), img('none_01.jpg'), img('monkey_10.jpg')], Math.floor(Date.now() / 1000) * 1000 - 60_000)
    await map.waitForFunction(() => document.querySelector('.camera-marker[data-camera-id="cam-yutagawa-01"]')?.getAttribute('data-sighting') === 'active', undefined, { timeout: 60_000 })
    expect(await map.locator('.camera-marker[data-camera-id="cam-haguro-01"]').getAttribute('data-sighting')).toBe('none')
    expect(await marker.getAttribute('aria-label')).toContain('サル出没')
    expect(await marker.locator('svg circle').count()).toBeGreaterThan(2) // the monkey glyph

    await marker.click()
    const popup = map.locator('.leaflet-popup-content .camera-sighting')
    await popup.waitFor()
    const text = await popup.innerText()
    expect(text).toContain('サル出没')
    expect(text).toMatch(/スコア \d\.\d\d/)
    expect(text).toContain('発報中')
    const thumb = popup.locator('img.camera-sighting-thumb')
    await map.waitForFunction(() => (document.querySelector<HTMLImageElement>('.camera-sighting-thumb')?.naturalWidth ?? 0) > 0)
    expect(await thumb.getAttribute('src')).toMatch(/^\/api\/wildlife\/sightings\/.+\/thumbnail\.jpg$/)
    const link = await popup.locator('a.camera-sighting-feedback').getAttribute('href')
    const [s] = await (await apiFetch(t.info.dashboardUrl + '/api/wildlife/sightings?cameraId=cam-yutagawa-01')).json() as Array<{ id: string, alertId: string }>
    expect(link).toBe(`/hunter.html?alert=${s!.alertId}`)

    // English via the language switch
    await map.locator('#lang-en').click()
    await map.waitForFunction(() => document.querySelector('.camera-sighting')?.textContent?.includes('Monkeys sighted') === true)
  })

  it('shows the alert live only to the hunter whose area holds the camera, who confirms it', async () => {
    const card = hunter.locator('.hunter-alert[data-camera-id="cam-yutagawa-01"]')
    await card.waitFor({ timeout: 30_000 })
    expect(await card.innerText()).toContain('サル出没')
    expect(await card.locator('img').count()).toBe(1)
    const alertId = await card.getAttribute('data-alert-id')
    expect(alertId).not.toBe('')
    // the hunter far away got nothing, even after a reload
    await other.reload()
    await other.locator('body[data-ready="true"]').waitFor()
    expect(await other.locator('.hunter-alert').count()).toBe(0)
    expect(await other.locator('.hunter-empty').count()).toBe(1)

    await card.locator('button[data-action="confirm"]').click()
    await hunter.locator('.hunter-alert[data-sent="confirm"] .hunter-verdict').waitFor()
    const p = await waitFor(async () => {
      const body = await (await apiFetch(t.info.dashboardUrl + '/api/wildlife/precision')).json() as { overall: { confirmed: number, precision: number | null } }
      return body.overall.confirmed === 1 ? body : undefined
    }, 'feedback stored')
    expect(p.overall.precision).toBe(1)
    const [s] = await (await apiFetch(t.info.dashboardUrl + '/api/wildlife/sightings?cameraId=cam-yutagawa-01')).json() as Array<{ id: string, alertId: string }>
    expect(s!.alertId).toBe(alertId)
    const detail = await (await apiFetch(`${t.info.dashboardUrl}/api/wildlife/sightings/${s!.id}`)).json() as { feedback: Array<{ hunterId: string, verdict: string }> }
    expect(detail.feedback).toEqual([expect.objectContaining({ hunterId: 'hunter-a', verdict: 'confirm' })])

    // the verdict survives a reload, and the map's feedback link highlights the alert
    await hunter.goto(`${t.info.dashboardUrl}/hunter.html?alert=${alertId}`)
    await hunter.locator(`.hunter-alert[data-focus="true"][data-sent="confirm"]`).waitFor()
    expect(errors).toEqual([])
  })
})
