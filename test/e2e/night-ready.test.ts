import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { Reading } from '../../core/types.js'
import { openWildlifeRepo } from '../../store/wildlife.js'
import { REPO_ROOT, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addUser, apiFetch, signInPage } from '../helpers/auth.js'
import { startSmtpPeer, type SmtpPeer } from '../helpers/notify-peers.js'

const SHOTS = join(REPO_ROOT, 'docs', 'screenshots')
/** a name that is not this machine: plain HTTP under it is not a secure context */
const LAN_NAME = 'bousai.lan'

/**
 * Issue 25 in Chromium, as staff and hunters met it on a real night: the advisory
 * level suggested from where the river is now (not the event's peak); a trend with
 * too little data shown as unknown; one mail per person for a click on an event
 * card (a real SMTP peer); alerts from back-filled history send nothing; a hunter
 * without push stops the escalation from the list; the hunter page over plain HTTP
 * on a network name says HTTPS is missing instead of asking for the home screen.
 */
describe('ready for a real night (Chromium)', () => {
  let t: TestApp
  let smtp: SmtpPeer
  let browser: Browser
  const errors: string[] = []
  const GROUP = 'seiryuji-shingata'
  const BACKFILL = 'oyama-oyama'

  beforeAll(async () => {
    smtp = await startSmtpPeer()
    t = await startTestApp({
      notify: {
        pollMs: 50,
        retryMinMs: 50,
        publicUrl: 'https://bousai.example.jp',
        escalation: { afterMinutes: 5, checkIntervalMs: 3_600_000 },
        channels: { email: { host: '127.0.0.1', port: smtp.port, secure: false } },
        // one person's mailbox, for the two stations whose mails are counted
        subscriptions: [{ userId: 'staff-a', role: 'staff', channel: 'email', address: 'staff-a@example.jp', kinds: ['river'], stations: [GROUP, BACKFILL], rivers: [], minSeverity: 'minor', minLevel: 0, advisories: false }]
      }
    })
    await addUser(t.config, 'staff-a', 'staff')
    await addUser(t.config, 'tanaka', 'hunter', { hunterId: 'hunter-a' })
    expect((await apiFetch(`${t.info.dashboardUrl}/api/hunters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'hunter-a', name: '田中' }) })).status).toBe(201)
    browser = await launchChromium([`--host-resolver-rules=MAP ${LAN_NAME} 127.0.0.1`])
    mkdirSync(SHOTS, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
    await t?.close()
    await smtp?.close()
  })

  const watch = (p: Page): Page => {
    p.on('pageerror', err => { errors.push(`${p.url()}: ${err.message}`) })
    return p
  }
  const reading = (stationId: string, time: number, level: number, receivedAt = time): Reading =>
    ({ stationId, deviceId: `${stationId}-gauge`, time, receivedAt, level, batteryV: 3.6, temperatureC: 12, spreadMm: 2, validPings: 10, totalPings: 10, deviceFlags: 0, seq: Math.floor(time / 1000) % 65536 }) as unknown as Reading
  const station = (id: string): TestApp['config']['stations'][number] => t.config.stations.find(s => s.id === id)!
  const staffPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' })
    const page = watch(await context.newPage())
    await signInPage(page, t.info.dashboardUrl, 'staff-a')
    await page.goto(`${t.info.dashboardUrl}/`)
    await page.locator('body[data-ready="true"]').waitFor()
    return page
  }

  it('staff: the advisory dialog preselects the level of NOW (Lv3, falling) although the event peaked at Lv5; after 発令する a confirmation links the CAP message', async () => {
    const s = station('uchikawa-oizumi')
    const now = Date.now()
    // peaked at 氾濫発生 (Lv5) an hour ago, now just over 避難判断水位 and falling
    for (let i = 0; i <= 40; i++) await t.app.store!.writeReading(reading(s.id, now - (40 - i) * 60_000, s.thresholds.flooding + 0.2 - i * ((s.thresholds.flooding + 0.2 - (s.thresholds.evacuationJudgement + 0.05)) / 40)))
    for (const [rule, severity] of [['threshold.evacuationJudgement', 'severe'], ['threshold.danger', 'extreme'], ['threshold.flooding', 'extreme']] as const) {
      t.app.alerts!.raise({ kind: 'river', subjectId: s.id, rule, severity, title: `${s.name}: ${rule}`, details: { level: s.thresholds.flooding + 0.2, threshold: s.thresholds.flooding } })
    }
    const page = await staffPage()
    const row = page.locator(`.alert-row[data-subject-id="${s.id}"]`)
    await row.waitFor()
    expect(await row.locator('.alert-group-highest').innerText()).toBe('最高 Lv5')
    // two levels on the card, each labelled: now (with its trend) and the one when the rule was reached
    expect(await row.locator('.alert-group-now').innerText()).toMatch(/^現在 \d+\.\d{2} m ↓ 下降中$/)
    expect(await row.locator('.alert-detail').innerText()).toMatch(/^到達時の水位 /)
    await row.locator('.alert-advisory').click()
    const dialog = page.locator('#advisory-dialog')
    await dialog.waitFor()
    await page.waitForFunction(() => (document.querySelector<HTMLTextAreaElement>('#advisory-text')?.value ?? '').includes('を発令します'))
    expect(await dialog.locator('input[name="advisory-level"][value="3"]').isChecked()).toBe(true)
    expect(await dialog.locator('input[name="advisory-level"][value="5"]').isChecked()).toBe(false)
    expect(await dialog.locator('#advisory-basis').getAttribute('data-trend')).toBe('falling')
    expect(await dialog.locator('#advisory-basis').innerText()).toContain('警戒レベル3')
    const text = await dialog.locator('#advisory-text').inputValue()
    expect(text).toContain('避難判断水位')
    expect(text).toContain('高齢者等避難（警戒レベル3）を発令します')
    expect(text).not.toContain('緊急安全確保')
    expect(text).not.toContain('内川の内川')
    await page.screenshot({ path: join(SHOTS, 'advisory-preselect.png') })
    await dialog.locator('#advisory-next').click()
    await page.locator('#confirm-yes').click()
    const issued = page.locator('#advisory-issued')
    await issued.waitFor()
    expect(await issued.innerText()).toContain('高齢者等避難（警戒レベル3）を発令しました')
    const href = await issued.locator('a.advisory-cap-link').getAttribute('href')
    expect(href).toMatch(/^\/api\/cap\/mimamori-[0-9a-f-]+-v1\.xml$/)
    const xml = await waitFor(async () => {
      const res = await fetch(t.info.dashboardUrl + href!)
      return res.status === 200 ? await res.text() : undefined
    }, 'the CAP message behind the link')
    expect(xml).toContain('<event>高齢者等避難（警戒レベル3）</event>')
    await page.context().close()
  })

  it('staff: a river rising 0.40 → 2.24 m in 3 minutes has an UNKNOWN trend everywhere (station page, table, advisory draft), never 上昇していません', async () => {
    const s = station('akagawa-haguro')
    const now = Date.now()
    const levels = [0.4, 1.02, 1.63, 2.24]
    for (const [i, level] of levels.entries()) await t.app.store!.writeReading(reading(s.id, now - (3 - i) * 60_000, level))
    const trends = await (await apiFetch(`${t.info.dashboardUrl}/api/stations/trends`)).json() as Array<{ stationId: string, rateMPerHour: number | null }>
    expect(trends.find(x => x.stationId === s.id)?.rateMPerHour).toBeNull()
    const page = await staffPage()
    await page.goto(`${t.info.dashboardUrl}/#station=${s.id}`)
    const figures = page.locator('#station-view .station-figures')
    await figures.waitFor()
    const text = await figures.innerText()
    expect(text).toContain('不明')
    expect(text).not.toContain('上昇していません')
    expect(await figures.locator('[data-trend]').getAttribute('data-trend')).toBe('unknown')
    await page.goto(`${t.info.dashboardUrl}/#table`)
    const cell = page.locator(`tr[data-station-id="${s.id}"] td[data-trend]`)
    await cell.waitFor()
    expect(await cell.innerText()).toBe('不明')
    const draft = await (await apiFetch(`${t.info.dashboardUrl}/api/advisories/draft`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stationId: s.id }) })).json() as { text: string, suggestion: { trend: string } }
    expect(draft.suggestion.trend).toBe('unknown')
    expect(draft.text).toContain('水位の傾向は、観測データが足りないため不明です')
    expect(draft.text).not.toMatch(/毎時|上昇中/)
    await page.context().close()
  })

  it('staff: 確認 and 解除 on an event card of three alerts send ONE mail each to the person (real SMTP), not three', async () => {
    const s = station(GROUP)
    for (const [rule, severity] of [['threshold.caution', 'moderate'], ['threshold.evacuationJudgement', 'severe'], ['threshold.danger', 'extreme']] as const) {
      t.app.alerts!.raise({ kind: 'river', subjectId: s.id, rule, severity, title: `${s.name}: ${rule}`, details: { level: s.thresholds.danger + 0.1, threshold: s.thresholds.danger } })
    }
    await waitFor(() => smtp.mails.filter(m => m.subject?.startsWith('【発表】')).length === 3 ? true : undefined, 'three 発表 mails')
    const page = await staffPage()
    const row = page.locator(`.alert-row[data-subject-id="${s.id}"][data-members="3"]`)
    await row.waitFor()
    await row.locator('.alert-ack').click()
    await page.locator(`.alert-row[data-subject-id="${s.id}"][data-state="acknowledged"]`).waitFor()
    await t.app.notifier!.pump()
    const acks = (): number => smtp.mails.filter(m => m.subject?.startsWith('【対応中】')).length
    await waitFor(() => acks() >= 1 ? true : undefined, 'the 対応中 mail')
    await t.app.notifier!.pump()
    expect(acks()).toBe(1)
    const ack = smtp.mails.find(m => m.subject?.startsWith('【対応中】'))!
    expect(ack.text).toContain('対応者: staff-a')

    await page.locator(`.alert-row[data-subject-id="${s.id}"] .alert-resolve`).click()
    await page.locator('#confirm-yes').click()
    await waitFor(async () => await page.locator(`.alert-row[data-subject-id="${s.id}"]`).count() === 0 ? true : undefined, 'the event leaves the list')
    const resolved = (): number => smtp.mails.filter(m => m.subject?.startsWith('【解除】')).length
    await waitFor(() => resolved() >= 1 ? true : undefined, 'the 解除 mail')
    await t.app.notifier!.pump()
    expect(resolved()).toBe(1)
    const r = smtp.mails.find(m => m.subject?.startsWith('【解除】'))!
    expect(r.text).toContain('解除の理由: staff-a が解除しました')
    expect(r.text).not.toContain('manual')
    await page.context().close()
  })

  it('alerts raised from back-filled history send nothing (shown as 過去データ); current data confirming them announces them once', async () => {
    const s = station(BACKFILL)
    const before = smtp.mails.length
    const now = Date.now()
    // yesterday's flood, received now (a back-fill): it crosses 避難判断水位 and stays there
    for (let i = 0; i < 30; i++) {
      const r = reading(s.id, now - 86_400_000 + i * 60_000, s.thresholds.evacuationJudgement + 0.1, now)
      await t.app.store!.writeReading(r)
      t.app.rules!.process(r)
    }
    const open = await waitFor(() => t.app.alerts!.list({ state: 'firing', subjectId: s.id }).find(a => a.rule === 'threshold.evacuationJudgement'), 'the alert from history')
    expect(open.details.historical).toBe(true)
    await t.app.notifier!.pump()
    // nobody was told, so nobody is chased up either
    t.app.notifier!.checkEscalations(now + 3_600_000)
    expect(t.app.notifier!.store.escalation(open.id)).toBeUndefined()
    await t.app.notifier!.pump()
    expect(smtp.mails.length).toBe(before)
    const page = await staffPage()
    const row = page.locator(`.alert-row[data-subject-id="${s.id}"]`)
    await row.waitFor()
    expect(await row.getAttribute('data-historical')).toBe('true')
    expect(await row.locator('.alert-historical').innerText()).toBe('過去データ')
    await page.context().close()

    // a current reading still above it: now it is news
    const fresh = reading(s.id, now, s.thresholds.evacuationJudgement + 0.12)
    await t.app.store!.writeReading(fresh)
    t.app.rules!.process(fresh)
    await waitFor(() => smtp.mails.slice(before).some(m => m.subject?.startsWith('【発表】')) ? true : undefined, 'the 発表 once current data confirms it')
    await t.app.notifier!.pump()
    // each threshold the river stands above is announced once, as for live data (待機, 注意, 避難判断)
    const open2 = t.app.alerts!.list({ state: 'firing', subjectId: s.id }).filter(a => a.rule.startsWith('threshold.'))
    expect(open2.length).toBe(3)
    expect(open2.every(a => a.details.historical !== true)).toBe(true)
    expect(smtp.mails.slice(before).filter(m => m.subject?.startsWith('【発表】') && m.subject.includes('水位に到達')).length).toBe(open2.length)
    expect(smtp.mails.slice(before).every(m => m.subject?.includes('大山'))).toBe(true)
  })

  it('hunter over plain HTTP on a network name: HTTPS missing said plainly; 向かいます / サルでした / 誤報 on every listed sighting stop the escalation; 地図 and the mini-map work offline', async () => {
    const cam = t.config.cameras[0]!
    const repo = openWildlifeRepo(resolve(t.config.dataDir, t.config.store.file))
    const raised = ['A', 'B', 'C', 'D'].map((tag, i) => {
      const sightingId = randomUUID()
      const alert = t.app.alerts!.raise({
        kind: 'wildlife', subjectId: `${cam.id}`, rule: `sighting-${tag}`, severity: 'severe', title: `サル出没 ${cam.name} / monkeys at ${cam.nameEn}`,
        details: { sightingId, cameraId: cam.id, lat: cam.lat, lon: cam.lon, score: 0.8, label: 'macaque', positives: 3, frames: 3, hunters: ['hunter-a'], thumbnailUrl: null }
      })
      repo.writeSighting({ id: sightingId, cameraId: cam.id, burstId: `b-${tag}`, time: Date.now() - (10 - i) * 60_000, lat: cam.lat + i * 0.002, lon: cam.lon, frames: 3, positives: 3, bestScore: 0.8, bestFrameIndex: 1, label: 'macaque', thumbnail: null, alertId: alert.id, suppressed: false, hunters: ['hunter-a'] })
      return { alert, sightingId }
    })
    repo.close()

    const base = t.info.dashboardUrl.replace('127.0.0.1', LAN_NAME)
    const context = await browser.newContext({ viewport: { width: 412, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo', deviceScaleFactor: 1 })
    const page = watch(await context.newPage())
    await signInPage(page, base, 'tanaka')
    await page.goto(`${base}/hunter.html`)
    await page.locator('body[data-ready="true"]').waitFor()
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false)
    const warning = page.locator('#https-warning')
    expect(await warning.isVisible()).toBe(true)
    const said = await warning.innerText()
    expect(said).toContain('HTTPS ではありません')
    expect(said).toContain('"tls"')
    expect(said).toContain('リバースプロキシ')
    expect(said).not.toContain('ホーム画面に追加してから')
    expect(await page.locator('#push-enable').count()).toBe(0)

    const cards = page.locator('.hunter-alert')
    await waitFor(async () => await cards.count() === 4 ? true : undefined, 'four sightings in the list')
    for (let i = 0; i < 4; i++) expect(await cards.nth(i).locator('.sighting-actions button').allInnerTexts()).toEqual(['向かいます', 'サルでした', '誤報'])
    await page.screenshot({ path: join(SHOTS, 'hunter-http.png') })
    const card = (tag: number): ReturnType<Page['locator']> => page.locator(`.hunter-alert[data-alert-id="${raised[tag]!.alert.id}"]`)
    await card(0).locator('button[data-action="enRoute"]').click()
    await page.locator(`.hunter-alert[data-alert-id="${raised[0]!.alert.id}"][data-sent="enRoute"]`).waitFor()
    await card(1).locator('button[data-action="confirm"]').click()
    await page.locator(`.hunter-alert[data-alert-id="${raised[1]!.alert.id}"][data-sent="confirm"]`).waitFor()
    await card(2).locator('button[data-action="reject"]').click()
    await page.locator(`.hunter-alert[data-alert-id="${raised[2]!.alert.id}"][data-sent="reject"]`).waitFor()
    for (const r of raised.slice(0, 3)) expect(t.app.alerts!.get(r.alert.id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'tanaka' })
    // the one nobody answered escalates; the three answered from the list do not
    expect(t.app.notifier!.checkEscalations(Date.now() + 6 * 60_000)).toBeGreaterThanOrEqual(1)
    expect(t.app.notifier!.store.escalation(raised[3]!.alert.id)?.step).toBe(1)
    for (const r of raised.slice(0, 3)) expect(t.app.notifier!.store.escalation(r.alert.id)).toBeUndefined()

    // 地図: a map of the hunter's own sightings on the offline base (no bounce to the staff page)
    await page.locator('#hunter-map-toggle').click()
    await page.locator('#hunter-map-section[data-ready="true"]').waitFor()
    expect(new URL(page.url()).pathname).toBe('/hunter.html')
    await waitFor(async () => await page.locator('#hunter-map .leaflet-marker-icon').count() === 4 ? true : undefined, 'four markers')
    expect(await page.locator('#hunter-map').getAttribute('data-base')).toBe('offline')
    expect(await page.locator('#hunter-map .graticule-line').count()).toBeGreaterThan(0)

    // the page a push opens: the mini-map has the same offline base and the coordinates
    await page.goto(`${base}/hunter.html?alert=${raised[3]!.alert.id}&sighting=${raised[3]!.sightingId}`)
    const focus = page.locator('#sighting-focus')
    await focus.waitFor()
    await page.locator('#sighting-map.leaflet-container').waitFor()
    // the offline base is drawn: grid lines with real paths, not an empty grey box
    await waitFor(async () => await page.evaluate(() => [...document.querySelectorAll('#sighting-map .graticule-line')].some(p => (p.getAttribute('d') ?? 'M0 0') !== 'M0 0')) ? true : undefined, 'the mini-map grid')
    expect(await focus.locator('.sighting-coords').innerText()).toMatch(/^北緯 \d+\.\d{4}°　東経 \d+\.\d{4}°$/)
    expect(errors.join('\n')).toBe('')
    await context.close()
  })
})
