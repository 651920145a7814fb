import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, CDPSession, Page } from 'playwright-core'
import type { Reading } from '../../core/types.js'
import { REPO_ROOT, startTestApp, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addUser, signInPage } from '../helpers/auth.js'

const MINUTE = 60_000
const DAY = 1440 * MINUTE
const STATION = 'akagawa-haguro'
const SHOTS = join(REPO_ROOT, 'docs', 'screenshots')

/** 10-minute readings ending now: a flood wave two days ago and a rise in the last hours, a few gaps and spikes */
function history (stationId: string, deviceId: string, end: number, days: number, base: number): Reading[] {
  const out: Reading[] = []
  const n = days * 144
  for (let i = 0; i < n; i++) {
    const time = end - (n - 1 - i) * 10 * MINUTE
    const missing = i % 97 === 13
    const spike = i % 131 === 17
    const wave = 1.6 * Math.exp(-(((i - (n - 300)) / 40) ** 2)) + 0.9 * Math.max(0, (i - (n - 30)) / 30)
    const level = missing ? Number.NaN : base + wave + 0.05 * Math.sin(i / 20) + (spike ? 2.5 : 0)
    out.push({
      stationId, deviceId, time, receivedAt: time + 1200, level, batteryV: 3.62 - i * 2e-6, temperatureC: 11, spreadMm: 4,
      validPings: 19, totalPings: 20, deviceFlags: 0, seq: i % 65536,
      qc: { flag: missing ? 9 : spike ? 4 : 1, tests: missing ? { missing: 9 } : spike ? { spike: 4 } : {} }
    })
  }
  return out
}

function parseCsv (text: string): string[][] {
  return text.split('\r\n').filter(l => l !== '').map(l => l.split(','))
}

/**
 * What staff and researchers see beyond the map, in real Chromium against the
 * real all-in-one: the station page and its hydrograph, the sortable table,
 * a CSV export checked row by row against the store, and the API docs.
 * Delivery figures are logged (never asserted: the machine is shared).
 */
describe('station page, table, export and API docs in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let page: Page
  let cdp: CDPSession
  const errors: string[] = []
  const requests: string[] = []
  let firstLoadBytes = 0
  const end = Math.floor(Date.now() / (10 * MINUTE)) * 10 * MINUTE

  beforeAll(async () => {
    t = await startTestApp()
    const store = t.app.store!
    for (const s of t.config.stations) {
      const days = s.id === STATION ? 30 : 2
      for (const r of history(s.id, s.deviceId, end, days, s.thresholds.standby - 0.4)) await store.writeReading(r)
    }
    // one alert resolved yesterday, one open now: both on the hydrograph's time axis
    const alerts = t.app.alerts!
    alerts.raise({ kind: 'river', subjectId: STATION, rule: 'threshold.caution', severity: 'moderate', title: '赤川 (羽黒橋) 氾濫注意水位 超過', message: 'test', details: {}, time: end - 20 * 3_600_000, drill: false })
    alerts.clear({ kind: 'river', subjectId: STATION, rule: 'threshold.caution' }, { time: end - 17 * 3_600_000 })
    alerts.raise({ kind: 'river', subjectId: STATION, rule: 'rateOfRise', severity: 'severe', title: '赤川 (羽黒橋) 水位上昇 急', message: 'test', details: {}, time: end - 30 * MINUTE, drill: false })

    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo', acceptDownloads: true })
    page = await context.newPage()
    // a researcher-capable reader: staff see the station page, the table, export and /docs
    await addUser(t.config, 'bosai', 'staff')
    await signInPage(page, t.info.dashboardUrl, 'bosai')
    page.on('pageerror', err => { errors.push(err.message) })
    page.on('console', msg => { if (msg.type() === 'error') errors.push(`${msg.text()} ${msg.location().url}`) })
    page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`) })
    page.on('request', r => { requests.push(new URL(r.url()).pathname + new URL(r.url()).search) })
    cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Performance.enable')
    cdp.on('Network.loadingFinished', e => { firstLoadBytes += e.encodedDataLength })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('loads the map with one request per resource (figures logged)', async () => {
    // the sign-in page's own bytes and requests are not the map's
    firstLoadBytes = 0
    requests.length = 0
    const started = Date.now()
    await page.goto(t.info.dashboardUrl)
    await page.locator('.station-marker').first().waitFor()
    const firstMarkerMs = Date.now() - started
    await page.locator('#live-indicator[data-state="live"]').waitFor()
    await page.waitForFunction(() => document.querySelectorAll('#alert-list li').length > 0)
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(mkdirSync(SHOTS, { recursive: true }) ?? SHOTS, 'map-rivers.png') })
    const counts = new Map<string, number>()
    for (const r of requests) { const p = r.split('?')[0]!; counts.set(p, (counts.get(p) ?? 0) + 1) }
    console.log(`[figures] first load: ${(firstLoadBytes / 1024).toFixed(1)} kB over the wire, ${requests.length} requests, first marker after ${firstMarkerMs} ms`)
    expect(counts.get('/api/alerts')).toBe(1)
    expect(counts.get('/api/stations')).toBe(1)
    expect(counts.get('/api/cameras')).toBe(1)
    // nothing loads uPlot until a hydrograph is drawn
    expect([...counts.keys()].filter(p => p.includes('uPlot'))).toEqual([])

    // renderer CPU with an alert open, over a short window (the issue asks 60 s; the shared CI box gets 10)
    const cpu = async (): Promise<number> => (await cdp.send('Performance.getMetrics')).metrics.find(m => m.name === 'TaskDuration')?.value ?? 0
    await page.waitForTimeout(6000) // the alert animations run a few seconds, then stop
    const before = await cpu()
    await page.waitForTimeout(10_000)
    console.log(`[figures] renderer busy ${(((await cpu()) - before) / 10 * 100).toFixed(2)} % of 10 s with an open alert (after the animations stopped)`)
  }, 60_000)

  it('opens a station page from its map popup and switches the hydrograph between 6 h, 24 h, 7 d and 30 d', async () => {
    if (await page.locator('.leaflet-popup-close-button').count() > 0) await page.locator('.leaflet-popup-close-button').click()
    await page.locator(`.station-marker[data-station-id="${STATION}"]`).click()
    await page.locator('.leaflet-popup-content a.popup-history').click()
    await page.waitForFunction(id => location.hash === `#station=${id}`, STATION)
    const view = page.locator('#station-view')
    await page.waitForFunction(() => document.querySelector('#station-view')?.getAttribute('data-range') === '24h' && document.querySelector('#station-view')?.getAttribute('data-loading') === 'false')
    expect(await view.locator('canvas').count()).toBeGreaterThan(0)
    // the range starts at 'now', off the 10-minute grid: 144 or 145 readings
    expect(Number(await view.getAttribute('data-points'))).toBeGreaterThanOrEqual(144)
    expect(await view.locator('.station-figures').innerText()).toMatch(/m\/h/)
    expect(await view.locator('.station-alert').count()).toBeGreaterThanOrEqual(2)
    const points: Record<string, number> = {}
    for (const range of ['6h', '7d', '30d']) {
      await view.locator(`.range-buttons button[data-range="${range}"]`).click()
      await page.waitForFunction(r => document.querySelector('#station-view')?.getAttribute('data-range') === r && document.querySelector('#station-view')?.getAttribute('data-loading') === 'false', range)
      points[range] = Number(await view.getAttribute('data-points'))
      expect(await view.locator(`.range-buttons button[data-range="${range}"]`).getAttribute('aria-pressed')).toBe('true')
    }
    expect(points['6h']).toBeGreaterThanOrEqual(36)
    expect(points['6h']).toBeLessThanOrEqual(37)
    expect(points['7d']).toBeGreaterThanOrEqual(7 * 144)
    expect(points['30d']).toBeLessThanOrEqual(5000)
    expect(points['30d']).toBeGreaterThan(4000)
    console.log(`[figures] hydrograph 30 d at 10 min (${points['30d']} points): ${await view.locator('.station-status').innerText()}`)
    await page.screenshot({ path: join(mkdirSync(SHOTS, { recursive: true }) ?? SHOTS, 'station-page.png'), fullPage: true })
    // the print layout (水防本部 meeting): chart and figures, no controls
    await page.emulateMedia({ media: 'print' })
    expect(await view.locator('button[data-pan="left"]').isVisible()).toBe(false)
    expect(await view.locator('.station-actions').isVisible()).toBe(false)
    expect(await view.locator('canvas').first().isVisible()).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'station-print.png'), fullPage: true })
    await page.emulateMedia({ media: 'screen' })
    // drag across a fifth of the 30 days: the span is refetched at its own, finer resolution
    const box = (await view.locator('.u-over').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    await page.waitForFunction(() => document.querySelector('#station-view')?.getAttribute('data-range') === 'custom' && document.querySelector('#station-view')?.getAttribute('data-loading') === 'false')
    const zoomed = Number(await view.getAttribute('data-points'))
    expect(zoomed).toBeGreaterThan(700)
    expect(zoomed).toBeLessThan(1000)
    // pan back half a span
    await view.locator('button[data-pan="left"]').click()
    await page.waitForFunction(() => document.querySelector('#station-view')?.getAttribute('data-loading') === 'false')
    // an alert of the list as the range: its span ± 6 h
    await view.locator('button[data-range="30d"]').click()
    await page.waitForFunction(() => document.querySelector('#station-view')?.getAttribute('data-range') === '30d' && document.querySelector('#station-view')?.getAttribute('data-loading') === 'false')
    await view.locator('.station-alert[data-state="resolved"] .link-button').click()
    await page.waitForFunction(() => document.querySelector('#station-view')?.getAttribute('data-range') === 'event' && document.querySelector('#station-view')?.getAttribute('data-loading') === 'false')
    // the earlier alert (one observation, 20 h ago in data time) ± 6 h of 10-minute readings
    expect(Number(await view.getAttribute('data-points'))).toBeGreaterThanOrEqual(72)
    expect(Number(await view.getAttribute('data-points'))).toBeLessThanOrEqual(73)
  }, 60_000)

  it('sorts, filters and searches the station table, and a row opens its station page', async () => {
    await page.goto(`${t.info.dashboardUrl}/#table`)
    await page.locator('#table-view[data-ready="true"]').waitFor()
    const rows = page.locator('.station-table tbody tr')
    expect(await rows.count()).toBe(t.config.stations.length)
    await page.locator('.station-table button.sort[data-sort="level"]').click()
    const levels = async (): Promise<number[]> => (await page.locator('.station-table tbody tr td.num:nth-of-type(2)').allInnerTexts()).map(s => Number.parseFloat(s))
    const desc = await levels()
    expect(desc).toEqual([...desc].sort((a, b) => b - a))
    await page.locator('.station-table button.sort[data-sort="level"]').click()
    const asc = await levels()
    expect(asc).toEqual([...asc].sort((a, b) => a - b))
    expect(await page.locator('.station-table th[aria-sort="ascending"]').count()).toBe(1)
    await page.screenshot({ path: join(SHOTS, 'station-table.png'), fullPage: true })

    // 地図 on a row: back on the map with that station's popup open
    await page.locator('.station-table tr[data-station-id="oyama-oyama"] button.link-button').click()
    await page.waitForFunction(() => location.hash === '#map')
    await page.waitForFunction(() => document.querySelector('.leaflet-popup-content .station-popup')?.getAttribute('data-station-id') === 'oyama-oyama')
    await page.goto(`${t.info.dashboardUrl}/#table`)
    await page.locator('#table-view[data-ready="true"]').waitFor()
    await page.locator('#table-search').fill('akagawa')
    await page.waitForFunction(() => document.querySelectorAll('.station-table tbody tr').length === 1)
    await page.locator('#table-search').fill('赤川')
    await page.waitForFunction(() => document.querySelectorAll('.station-table tbody tr').length >= 1)
    expect(await page.locator('.station-table tbody tr').first().getAttribute('data-station-id')).toBe(STATION)
    await page.locator('.station-table tbody tr th a').first().click()
    await page.waitForFunction(() => location.hash === '#station=akagawa-haguro')
    await page.locator('#station-view canvas').first().waitFor()
  }, 60_000)

  it('exports a station\'s readings as CSV with a progress bar, row for row what the store holds', async () => {
    await page.goto(`${t.info.dashboardUrl}/#export=${STATION}`)
    const today = new Date(end + 9 * 3_600_000).toISOString().slice(0, 10)
    const weekAgo = new Date(end - 7 * DAY + 9 * 3_600_000).toISOString().slice(0, 10)
    await page.locator('#export-from').fill(weekAgo)
    await page.locator('#export-to').fill(today)
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-start').click()])
    await page.locator('#export-view[data-export="done"]').waitFor()
    expect(await page.locator('#export-progress').evaluate(el => (el as HTMLProgressElement).value)).toBe(1)
    await page.screenshot({ path: join(SHOTS, 'export.png') })
    const text = readFileSync(await download.path(), 'utf8')
    expect(text.charCodeAt(0)).toBe(0xfeff)
    const rows = parseCsv(text.slice(1))
    expect(rows.shift()!.slice(0, 5)).toEqual(['station_id', 'device_id', 'time', 'received_at', 'level_m'])
    const from = Date.parse(`${weekAgo}T00:00:00+09:00`)
    const to = Date.parse(`${today}T00:00:00+09:00`) + DAY - 1
    const stored = await t.app.store!.readings(STATION, { from, to, limit: 100_000, order: 'asc' })
    expect(rows.length).toBe(stored.length)
    for (const [i, r] of stored.entries()) {
      expect(rows[i]![0]).toBe(STATION)
      expect(Date.parse(rows[i]![2]!)).toBe(r.time)
      expect(rows[i]![4] === '' ? null : Number(rows[i]![4])).toBe(Number.isFinite(r.level) ? r.level : null)
    }
  }, 60_000)

  it('serves the API docs at /docs', async () => {
    await page.goto(`${t.info.dashboardUrl}/docs`)
    await page.locator('.swagger-ui .opblock').first().waitFor()
    expect(await page.locator('.swagger-ui').first().innerText()).toContain('/api/stations/{id}/series')
  }, 30_000)

  it('ran without page errors', () => {
    expect(errors).toEqual([])
  })
})
