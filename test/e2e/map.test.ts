import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import type { Browser, Page } from 'playwright-core'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { classifyLevel } from '../../core/levels.js'
import { REPO_ROOT, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { createSimulatedCamera } from '../../simulators/camera-device.js'
import { silentLogger } from '../../core/logger.js'
import { addUser, apiFetch, signInPage } from '../helpers/auth.js'

const MINUTE = 60_000

/**
 * The map as staff see it: real Chromium, real dashboard, real broker. A
 * device publishes; the marker and its popup change without a reload.
 */
describe('river map in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let page: Page
  const devices: MqttClient[] = []
  const errors: string[] = []

  async function publish (deviceId: string, levelM: number, time: number): Promise<void> {
    let client = devices.find(d => d.options.clientId === deviceId)
    if (client === undefined) {
      client = await mqtt.connectAsync(t.info.mqttUrl, { clientId: deviceId })
      devices.push(client)
    }
    const frame = encodeUplink({ mode: 'observe', levelM, batteryV: 3.55, temperatureC: 9, spreadMm: 4, validPings: 19, totalPings: 20, time })
    await client.publishAsync(`mmr/v1/gauge/${deviceId}/up`, Buffer.from(frame), { qos: 1 })
  }

  const markerStatus = async (stationId: string): Promise<string | null> =>
    await page.locator(`.station-marker[data-station-id="${stationId}"]`).getAttribute('data-status')

  beforeAll(async () => {
    t = await startTestApp()
    const now = Math.floor(Date.now() / MINUTE) * MINUTE
    // A realistic afternoon of heavy rain: every band but flooding on screen.
    const levels: Record<string, number> = {
      'uchikawa-oizumi': 0.42,
      'akagawa-haguro': 2.31,
      'seiryuji-shingata': 1.24,
      'oyama-oyama': 2.05,
      'fujishima-fujishima': 0.63,
      'kyoden-hirose': 3.12
    }
    for (const s of t.config.stations) await publish(s.deviceId, levels[s.id] ?? 0.5, now - 10 * MINUTE)
    const cam = createSimulatedCamera({ camera: t.config.cameras[0]!, mqttUrl: t.info.mqttUrl, logger: silentLogger() })
    await cam.connect()
    await cam.burst(1)
    await cam.close()
    // 赤川's gauge is a gateway gauge that summarised part of an outage's backlog
    const akagawa = devices.find(d => d.options.clientId === 'gauge-akagawa-01')!
    const backlog = { sent: 12, summarised: 3, from: new Date(now - 5 * 60 * MINUTE).toISOString(), to: new Date(now - 20 * MINUTE).toISOString() }
    await akagawa.publishAsync('mmr/v1/gauge/gauge-akagawa-01/status', JSON.stringify({ online: true, batteryV: 3.55, backlog }), { qos: 1, retain: true })
    await waitFor(async () => {
      const body = await (await apiFetch(t.info.dashboardUrl + '/api/stations')).json() as Array<{ latest: unknown, device?: { lastBacklog?: unknown } | null }>
      return body.every(s => s.latest !== null) && body.some(s => s.device?.lastBacklog != null) ? true : undefined
    }, 'all stations stored')

    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
    await addUser(t.config, 'map-staff', 'staff')
    await signInPage(page, t.info.dashboardUrl, 'map-staff')
    page.on('pageerror', err => { errors.push(err.message) })
    page.on('console', msg => { if (msg.type() === 'error') errors.push(msg.text()) })
    await page.goto(t.info.dashboardUrl)
  })

  afterAll(async () => {
    await browser?.close()
    for (const d of devices) await d.endAsync()
    await t?.close()
  })

  it('shows every station as a marker coloured by its MLIT band', async () => {
    await page.locator('.station-marker').first().waitFor()
    expect(await page.locator('.station-marker').count()).toBe(t.config.stations.length)
    const stations = await (await apiFetch(t.info.dashboardUrl + '/api/stations')).json() as Array<{ id: string, status: string }>
    for (const s of stations) expect(await markerStatus(s.id)).toBe(s.status)
    // distinct bands get distinct colours
    const fills = new Map<string, string | null>()
    for (const s of stations) fills.set(s.status, await page.locator(`.station-marker[data-station-id="${s.id}"]`).getAttribute('fill'))
    expect(new Set(fills.values()).size).toBe(fills.size)
    expect(await page.locator('.camera-marker').count()).toBe(t.config.cameras.length)
  })

  it('updates a marker and its open popup live when a device publishes', async () => {
    await page.locator('#live-indicator[data-state="live"]').waitFor()
    const id = 'uchikawa-oizumi'
    const marker = page.locator(`.station-marker[data-station-id="${id}"]`)
    const fillBefore = await marker.getAttribute('fill')
    await marker.click()
    const popup = page.locator('.leaflet-popup-content')
    await popup.waitFor()
    expect(await popup.innerText()).toContain('0.42')

    const station = t.config.stations.find(s => s.id === id)!
    const level = 2.47
    expect(classifyLevel(level, station.thresholds)).toBe('danger') // 氾濫危険 2.3 m ≤ 2.47 < 氾濫発生 2.9 m
    await publish(station.deviceId, level, Math.floor(Date.now() / MINUTE) * MINUTE)

    await page.waitForFunction(sid => document.querySelector(`.station-marker[data-station-id="${sid}"]`)?.getAttribute('data-status') === 'danger', id)
    await page.waitForFunction(() => document.querySelector('.leaflet-popup-content')?.textContent?.includes('2.47') === true)
    expect(await marker.getAttribute('fill')).not.toBe(fillBefore)
    expect(await page.locator(`#station-row-${id}`).getAttribute('data-status')).toBe('danger')
    expect(await popup.innerText()).toMatch(/氾濫危険/)

    mkdirSync(join(REPO_ROOT, 'docs', 'screenshots'), { recursive: true })
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshots', 'map.png') })
  })

  it('says in the popup when a gauge summarised measurements during an outage', async () => {
    await page.locator('.leaflet-popup-close-button').click() // the open popup covers other markers
    await page.locator('.station-marker[data-station-id="akagawa-haguro"]').click()
    const line = page.locator('.leaflet-popup-content .popup-backlog')
    await line.waitFor()
    expect(await line.innerText()).toMatch(/^欠測補完: 12 件送信、3 件要約（.+～.+）$/)
    // a station whose gauge reported no backlog shows no such line
    await page.locator('.leaflet-popup-close-button').click()
    await page.locator('.station-marker[data-station-id="uchikawa-oizumi"]').click()
    await page.waitForFunction(() => document.querySelector('.leaflet-popup-content .station-popup')?.getAttribute('data-station-id') === 'uchikawa-oizumi')
    expect(await page.locator('.leaflet-popup-content .popup-backlog').count()).toBe(0)
  })

  it('shows the same current level on the alert card and in the popup while QC holds the newest reading', async () => {
    // 京田川 stands at 3.12 m (氾濫危険) since the start: its alert is open and has a card
    const id = 'kyoden-hirose'
    const station = t.config.stations.find(s => s.id === id)!
    const card = page.locator(`.alert-row[data-subject-id="${id}"] .alert-group-now`).first()
    await card.waitFor()
    // 3.12 → 4.40 m within minutes: a jump, held by QC (suspect) until the next reading confirms or rejects it
    await publish(station.deviceId, 4.4, Math.floor(Date.now() / MINUTE) * MINUTE)
    await waitFor(async () => {
      const body = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/${id}`)).json() as { latest: { level: number } | null, pending?: { level: number, qcFlag: number } | null }
      return body.pending?.level === 4.4 ? body : undefined
    }, 'the held reading stored')
    const rest = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/${id}`)).json() as { latest: { level: number }, pending: { qcFlag: number } }
    expect(rest.latest.level).toBe(3.12)
    expect(rest.pending.qcFlag).toBe(3)
    const trends = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/trends`)).json() as Array<{ stationId: string, level: number | null }>
    expect(trends.find(x => x.stationId === id)?.level).toBe(3.12)

    await page.locator(`.alert-row[data-subject-id="${id}"] .alert-subject`).first().click()
    const popup = page.locator(`.leaflet-popup-content .station-popup[data-station-id="${id}"]`)
    await popup.locator('.popup-pending').waitFor()
    expect(await popup.locator('.popup-level').getAttribute('data-level')).toBe('3.12')
    expect(await popup.locator('.popup-level').innerText()).toContain('3.12 m')
    // the held one is shown beside it, marked as awaiting QC
    expect(await popup.locator('.popup-pending').innerText()).toMatch(/^確認待ち 4\.40 m（.+ 観測・品質確認中/)
    // the card says the same current level as the popup, not the held reading
    await page.waitForFunction(sel => document.querySelector(sel)?.textContent?.includes('3.12 m') === true, `.alert-row[data-subject-id="${id}"] .alert-group-now`)
    expect(await card.innerText()).not.toContain('4.40')
  })

  it('switches the labels to English', async () => {
    await page.locator('#lang-en').click()
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    expect(await page.locator('body').innerText()).toMatch(/Danger|danger/)
  })

  it('ran without page errors', () => {
    expect(errors).toEqual([])
  })
})
