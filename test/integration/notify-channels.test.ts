import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/app.js'
import { browserSubscription, decryptAes128gcm, verifyVapid } from '../helpers/notify-peers.js'
import { LINE_TOKEN, startNotifyRig, STATION, WEBHOOK_SECRET, type NotifyRig } from '../helpers/notify.js'

let rig: NotifyRig | undefined
afterEach(async () => { await rig?.close(); rig = undefined })

const lv4 = (drill = false) => ({
  kind: 'river', subjectId: STATION.id, rule: 'threshold.danger', severity: 'extreme' as const, drill,
  title: `${STATION.name}: 氾濫危険水位 (レベル4 避難指示) 到達 / ${STATION.nameEn}: flood danger level (Lv4) reached`,
  message: '水位 3.12 m ≥ 氾濫危険水位 (レベル4 避難指示) 3.00 m',
  details: { level: 3.12, threshold: 3.0, thresholdName: 'danger' }
})

function subscribeAll (r: NotifyRig, push: string): void {
  const s = r.notifier.store
  s.upsertSubscription({ userId: 'u-staff', role: 'staff', channel: 'webpush', address: push, kinds: [], stations: [], rivers: [], minSeverity: 'minor', minLevel: 0, advisories: false }, Date.now())
  s.upsertSubscription({ userId: 'u-staff', role: 'staff', channel: 'email', address: 'bousai@example.jp', kinds: [], stations: [], rivers: [], minSeverity: 'minor', minLevel: 0, advisories: false }, Date.now())
  s.upsertSubscription({ userId: 'u-ops', role: 'staff', channel: 'webhook', address: `${r.webhook.url}/hook`, kinds: ['river'], stations: [], rivers: ['青龍寺川'], minSeverity: 'minor', minLevel: 3, advisories: false }, Date.now())
  s.upsertSubscription({ userId: 'u-line', role: 'staff', channel: 'line', address: 'Uc0ffee', kinds: [], stations: [STATION.id], rivers: [], minSeverity: 'severe', minLevel: 0, advisories: false }, Date.now())
}

describe('notifier channels against real peers', () => {
  it('sends one Lv4 alert once to every channel: push decrypts, mail parses, webhook signature verifies, LINE request is well-formed', async () => {
    rig = await startNotifyRig()
    const r = rig
    const browser = browserSubscription(`${r.push.url}/push/device-1`)
    subscribeAll(r, browser.json)
    const alert = r.alerts.raise(lv4())

    await waitFor(() => r.push.requests.length >= 1 && r.smtp.mails.length >= 1 && r.webhook.requests.length >= 1 && r.line.requests.length >= 1 ? true : undefined, 'all four peers')

    // Web Push: VAPID signed for the push service's origin, aes128gcm encrypted to the browser's keys
    const p = r.push.requests[0]!
    expect(p.url).toBe('/push/device-1')
    expect(p.headers['content-encoding']).toBe('aes128gcm')
    expect(Number(p.headers.ttl)).toBe(3600)
    expect(p.headers.urgency).toBe('high')
    const vapid = verifyVapid(p.headers.authorization, r.push.url)
    expect(vapid.k).toBe(r.notifier.vapidPublicKey)
    expect(vapid.sub).toMatch(/^mailto:/)
    const payload = JSON.parse(decryptAes128gcm(p.body, browser.privateKey, browser.publicKey, browser.auth)) as Record<string, unknown>
    expect(payload).toMatchObject({ kind: 'alert.firing', level: 4, alertId: alert.id, drill: false })
    expect(payload.title).toContain('青龍寺川・新形橋観測所')
    expect(payload.url).toBe(`http://bousai.example.jp/?alert=${alert.id}`)

    // e-mail: Japanese subject and body, the idempotency key as Message-ID
    const mail = r.smtp.mails[0]!
    expect(mail.subject).toBe('【発表】青龍寺川・新形橋観測所: 氾濫危険水位に到達（警戒レベル4相当）')
    expect(mail.subject).not.toContain('【訓練】')
    expect(mail.text).toContain('（警戒レベル4相当）')
    expect(mail.text).toMatch(/観測時刻 \d+月\d+日 \d{2}:\d{2}（日本時間）/)
    expect(mail.text).not.toMatch(/\d{4}-\d{2}-\d{2}T/)
    expect(mail.text).toContain('水位 3.12 m')
    expect(mail.to).toMatchObject({ text: 'bousai@example.jp' })
    expect(mail.messageId).toMatch(/@mimamori>$/)
    expect(mail.headers.get('x-mimamori-key')).toMatch(/^\d+:.+:email$/)

    // webhook: HMAC-SHA256 over "timestamp.body" with the shared secret
    const w = r.webhook.requests[0]!
    const ts = String(w.headers['x-mimamori-timestamp'])
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(300)
    expect(w.headers['x-mimamori-signature']).toBe('sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${w.body.toString('utf8')}`).digest('hex'))
    const hook = JSON.parse(w.body.toString('utf8')) as Record<string, unknown>
    expect(hook).toMatchObject({ kind: 'alert.firing', level: 4, severity: 'extreme', drill: false, id: w.headers['idempotency-key'] })
    expect((hook.alert as { id: string }).id).toBe(alert.id)

    // LINE Messaging API push
    const l = r.line.requests[0]!
    expect(l.method).toBe('POST')
    expect(l.url).toBe('/v2/bot/message/push')
    expect(l.headers.authorization).toBe(`Bearer ${LINE_TOKEN}`)
    expect(l.headers['x-line-retry-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const lineBody = JSON.parse(l.body.toString('utf8')) as { to: string, messages: Array<{ type: string, text: string }> }
    expect(lineBody.to).toBe('Uc0ffee')
    expect(lineBody.messages).toHaveLength(1)
    expect(lineBody.messages[0]!.type).toBe('text')
    expect(lineBody.messages[0]!.text).toContain('氾濫危険水位')

    // the next transition is one more message each, and nothing is sent twice
    r.alerts.acknowledge(alert.id, 'staff:sato')
    await waitFor(() => r.push.requests.length >= 2 && r.smtp.mails.length >= 2 && r.webhook.requests.length >= 2 && r.line.requests.length >= 2 ? true : undefined, 'acknowledged messages')
    await r.notifier.pump()
    expect([r.push.requests.length, r.smtp.mails.length, r.webhook.requests.length, r.line.requests.length]).toEqual([2, 2, 2, 2])
    expect(r.smtp.mails[1]!.subject).toContain('対応中')
    const keys = r.webhook.requests.map(x => x.headers['idempotency-key'])
    expect(new Set(keys).size).toBe(2)
    const status = Object.fromEntries(r.notifier.status().map(s => [s.channel, s]))
    for (const c of ['webpush', 'email', 'webhook', 'line']) expect(status[c]).toMatchObject({ sent: 2, pending: 0, givenUp: 0 })
  })

  it('sends drills only to channels marked for drills, labelled 【訓練】, and filters by level, river and station', async () => {
    rig = await startNotifyRig()
    const r = rig
    const browser = browserSubscription(`${r.push.url}/push/d`)
    subscribeAll(r, browser.json)
    r.alerts.raise(lv4(true))
    // a Lv2 alert: below the webhook subscriber's minLevel 3 and the LINE subscriber's minSeverity
    r.alerts.raise({ ...lv4(), rule: 'threshold.caution', severity: 'moderate', title: `${STATION.name}: 氾濫注意水位 (レベル2) 到達` })
    await waitFor(() => r.smtp.mails.length >= 2 && r.push.requests.length >= 2 ? true : undefined, 'drill and Lv2 mails')
    await r.notifier.pump()
    const drillMail = r.smtp.mails.find(m => m.subject?.includes('氾濫危険水位'))!
    expect(drillMail.subject!.startsWith('【訓練】')).toBe(true)
    expect(drillMail.text).toContain('これは訓練です。')
    const drillPush = r.push.requests.map(p => JSON.parse(decryptAes128gcm(p.body, browser.privateKey, browser.publicKey, browser.auth)) as { title: string, drill: boolean }).find(p => p.drill)!
    expect(drillPush.title.startsWith('【訓練】')).toBe(true)
    // webhook and LINE are not marked for drills; the Lv2 alert is below what either subscribed to
    expect(r.webhook.requests).toHaveLength(0)
    expect(r.line.requests).toHaveLength(0)
  })

  it('loses nothing and sends nothing twice across a webhook outage, an SMTP outage and a notifier crash', async () => {
    rig = await startNotifyRig()
    const r = rig
    subscribeAll(r, browserSubscription(`${r.push.url}/push/x`).json)
    let refusedHooks = 0
    r.webhook.respond = () => (refusedHooks++ < 3 ? 503 : 200)
    r.smtp.failing = true
    const a = r.alerts.raise(lv4())
    await waitFor(() => refusedHooks >= 3 && (r.notifier.status().find(s => s.channel === 'email')?.failedAttempts ?? 0) >= 2 ? true : undefined, 'failed attempts on both')
    expect(r.webhook.requests).toHaveLength(0)
    expect(r.smtp.mails).toHaveLength(0)
    const email = r.notifier.status().find(s => s.channel === 'email')!
    expect(email.lastError).toContain('451')
    expect(email.pending).toBe(1)
    r.smtp.failing = false
    await waitFor(() => r.webhook.requests.length === 1 && r.smtp.mails.length === 1 ? true : undefined, 'delivered after the outage')

    // crash: the notifier is gone while alerts change; the outbox rows wait for the next start
    await r.notifier.close()
    r.alerts.resolve(a.id, 'staff:sato', { note: '水位低下' })
    const b = r.alerts.raise({ ...lv4(), subjectId: STATION.id, rule: 'threshold.flooding', title: `${STATION.name}: 氾濫発生 (レベル5 緊急安全確保)` })
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(r.webhook.requests).toHaveLength(1)
    await r.restart()
    await waitFor(() => r.webhook.requests.length === 3 && r.smtp.mails.length === 3 ? true : undefined, 'sent after restart')
    await r.notifier.pump()
    await r.restart() // a second start finds nothing left to send
    await r.notifier.pump()
    expect(r.webhook.requests).toHaveLength(3)
    expect(r.smtp.mails).toHaveLength(3)
    expect(new Set(r.webhook.requests.map(x => x.headers['idempotency-key'])).size).toBe(3)
    expect(r.smtp.mails.map(m => m.subject)).toEqual(expect.arrayContaining([expect.stringContaining('解除'), expect.stringContaining('氾濫発生')]))
    expect(b.state).toBe('firing')
  })

  it('holds messages below Lv4 during quiet hours, never Lv4+', async () => {
    rig = await startNotifyRig()
    const r = rig
    const hhmm = (ms: number): string => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms)
    const now = Date.now()
    r.notifier.store.upsertSubscription({ userId: 'u-night', role: 'staff', channel: 'webhook', address: `${r.webhook.url}/night`, kinds: [], stations: [], rivers: [], minSeverity: 'minor', minLevel: 0, advisories: false, quietHours: { start: hhmm(now - 3_600_000), end: hhmm(now + 7_200_000) } }, now)
    r.alerts.raise({ ...lv4(), rule: 'threshold.caution', severity: 'moderate', title: 'Lv2' })
    r.alerts.raise(lv4())
    await waitFor(() => r.webhook.requests.length >= 1 ? true : undefined, 'the Lv4 message')
    await r.notifier.pump()
    expect(r.webhook.requests).toHaveLength(1)
    expect((JSON.parse(r.webhook.requests[0]!.body.toString()) as { level: number }).level).toBe(4)
    const held = r.notifier.store.deliveries({ state: 'pending' })
    expect(held).toHaveLength(1)
    expect(held[0]!.nextAt - now).toBeGreaterThan(3_600_000)
    expect(held[0]!.nextAt - now).toBeLessThanOrEqual(7_200_000)
  })
})
