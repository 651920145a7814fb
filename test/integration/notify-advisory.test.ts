import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/app.js'
import { capProblems, capValues } from '../helpers/cap.js'
import { startNotifyRig, STATION, type NotifyRig } from '../helpers/notify.js'
import { capAtomFeed } from '../../notify/cap-xml.js'

let rig: NotifyRig | undefined
afterEach(async () => { await rig?.close(); rig = undefined })

const sub = { kinds: [], stations: [], rivers: [], minSeverity: 'minor' as const, minLevel: 0 }

describe('evacuation advisories and the CAP 1.2 feed', () => {
  it('drafts from an alert, issues once to every public channel and the CAP feed, then updates and cancels', async () => {
    rig = await startNotifyRig()
    const r = rig
    const s = r.notifier.store
    s.upsertSubscription({ ...sub, userId: 'town-web', role: 'public', channel: 'webhook', address: `${r.webhook.url}/public`, advisories: true }, Date.now())
    s.upsertSubscription({ ...sub, userId: 'town-line', role: 'public', channel: 'line', address: 'Ctown', advisories: true }, Date.now())
    s.upsertSubscription({ ...sub, userId: 'u-staff', role: 'staff', channel: 'email', address: 'staff@example.jp', advisories: false }, Date.now())
    const alert = r.alerts.raise({
      kind: 'river', subjectId: STATION.id, rule: 'threshold.danger', severity: 'extreme', title: `${STATION.name}: 氾濫危険水位 到達`,
      details: { level: 3.12, threshold: 3.0 }
    })
    await waitFor(() => r.smtp.mails.length === 1 ? true : undefined, 'the alert mail to staff')
    // public outlets carry advisories, not raw alerts
    expect(r.webhook.requests).toHaveLength(0)
    expect(r.line.requests).toHaveLength(0)

    const draft = await r.notifier.advisories.draft({ alertId: alert.id, level: 4, area: '大宝寺・日枝地区', by: 'staff:sato' })
    expect(draft.status).toBe('draft')
    expect(draft.text).toContain('青龍寺川・新形橋観測所の水位は')
    expect(draft.text).not.toContain('青龍寺川の青龍寺川')
    expect(draft.text).toContain('3.12 m')
    expect(draft.text).toContain('氾濫危険水位（3.00 m）に達しています')
    expect(draft.text).toContain('大宝寺・日枝地区に避難指示（警戒レベル4）を発令します。')
    await r.notifier.pump()
    expect(r.webhook.requests).toHaveLength(0) // a draft goes nowhere

    const issued = r.notifier.advisories.issue(draft.id, 'staff:sato')
    expect(r.notifier.advisories.issue(draft.id, 'staff:sato')).toEqual(issued) // confirming twice issues once
    await waitFor(() => r.webhook.requests.length === 1 && r.line.requests.length === 1 && s.capEntries(10, false).length === 1 ? true : undefined, 'issued to public channels')
    const hook = JSON.parse(r.webhook.requests[0]!.body.toString()) as { kind: string, title: string, advisory: { id: string } }
    expect(hook.kind).toBe('advisory.issued')
    expect(hook.title).toBe('【警戒レベル4】避難指示発令: 大宝寺・日枝地区')
    expect(hook.advisory.id).toBe(draft.id)
    expect((JSON.parse(r.line.requests[0]!.body.toString()) as { messages: Array<{ text: string }> }).messages[0]!.text).toContain('避難指示')

    const first = s.capEntries(10, false)[0]!
    expect(capProblems(first.xml)).toEqual([])
    expect(capValues(first.xml, 'language')).toEqual(['ja-JP'])
    expect(capValues(first.xml, 'msgType')).toEqual(['Alert'])
    expect(capValues(first.xml, 'status')).toEqual(['Actual'])
    expect(capValues(first.xml, 'event')).toEqual(['避難指示（警戒レベル4）'])
    expect(capValues(first.xml, 'value')).toEqual(expect.arrayContaining(['4', '避難指示', '青龍寺川']))
    expect(capValues(first.xml, 'areaDesc')).toEqual(['大宝寺・日枝地区'])
    expect(capValues(first.xml, 'sent')[0]).toMatch(/\+09:00$/)

    r.notifier.advisories.update(draft.id, 'staff:sato', { level: 5, text: '青龍寺川が氾濫しました。直ちに身の安全を確保してください。' })
    r.notifier.advisories.cancel(draft.id, 'staff:sato', '水位が下がりました。')
    await waitFor(() => s.capEntries(10, false).length === 3 && r.webhook.requests.length === 3 ? true : undefined, 'update and cancel')
    const [cancel, update] = s.capEntries(10, false)
    for (const x of [cancel!, update!]) expect(capProblems(x.xml)).toEqual([])
    expect(capValues(update!.xml, 'msgType')).toEqual(['Update'])
    expect(capValues(update!.xml, 'event')).toEqual(['緊急安全確保（警戒レベル5）'])
    expect(capValues(update!.xml, 'references')[0]).toBe(`mimamori@example.lg.jp,${first.identifier},${capValues(first.xml, 'sent')[0]}`)
    expect(capValues(cancel!.xml, 'msgType')).toEqual(['Cancel'])
    expect(capValues(cancel!.xml, 'references')[0]).toContain(update!.identifier)
    expect(r.webhook.requests.map(q => (JSON.parse(q.body.toString()) as { kind: string }).kind)).toEqual(['advisory.issued', 'advisory.updated', 'advisory.cancelled'])

    const feed = capAtomFeed(s.capEntries(10, false), { sender: 'mimamori@example.lg.jp', senderName: 'test', publicUrl: 'http://x', timezone: 'Asia/Tokyo' })
    expect(feed.match(/<entry>/g)).toHaveLength(3)
    expect(feed).toContain('type="application/cap+xml"')
  })

  it('keeps drill advisories out of the public feed and labels them 【訓練】 with CAP status Exercise', async () => {
    rig = await startNotifyRig({ channels: { cap: { drills: true }, webhook: { drills: true } } })
    const r = rig
    r.notifier.store.upsertSubscription({ ...sub, userId: 'town-web', role: 'public', channel: 'webhook', address: `${r.webhook.url}/public`, advisories: true }, Date.now())
    const alert = r.alerts.raise({ kind: 'river', subjectId: STATION.id, rule: 'threshold.evacuationJudgement', severity: 'severe', drill: true, title: '訓練 Lv3', details: { level: 2.6 } })
    const a = await r.notifier.advisories.draft({ alertId: alert.id, level: 3, by: 'staff:sato' })
    expect(a.drill).toBe(true)
    r.notifier.advisories.issue(a.id, 'staff:sato')
    await waitFor(() => r.webhook.requests.length === 1 ? true : undefined, 'drill advisory')
    expect((JSON.parse(r.webhook.requests[0]!.body.toString()) as { title: string }).title.startsWith('【訓練】')).toBe(true)
    expect(r.notifier.store.capEntries(10, false)).toHaveLength(0)
    const drill = r.notifier.store.capEntries(10, true)
    expect(drill).toHaveLength(1)
    expect(capProblems(drill[0]!.xml)).toEqual([])
    expect(capValues(drill[0]!.xml, 'status')).toEqual(['Exercise'])
    expect(capValues(drill[0]!.xml, 'headline')[0]).toMatch(/^【訓練】/)
  })
})

describe('escalation', () => {
  it('re-sends an unacknowledged Lv3+ alert along the rota until someone acknowledges, each step in the audit trail', async () => {
    let now = Date.parse('2026-07-01T03:00:00Z')
    rig = await startNotifyRig({ escalation: { afterMinutes: 10, minLevel: 3, rota: [{ name: '当番', users: ['u-duty'] }, { name: '課長', users: ['u-chief'] }] } }, () => now)
    const r = rig
    r.notifier.store.upsertSubscription({ ...sub, userId: 'u-duty', role: 'staff', channel: 'webhook', address: `${r.webhook.url}/duty`, kinds: ['wildlife'], advisories: false }, now)
    r.notifier.store.upsertSubscription({ ...sub, userId: 'u-chief', role: 'staff', channel: 'webhook', address: `${r.webhook.url}/chief`, kinds: ['wildlife'], advisories: false }, now)
    const lv2 = r.alerts.raise({ kind: 'river', subjectId: STATION.id, rule: 'threshold.caution', severity: 'moderate', title: 'Lv2' })
    const a = r.alerts.raise({ kind: 'river', subjectId: STATION.id, rule: 'threshold.evacuationJudgement', severity: 'severe', title: `${STATION.name}: 避難判断水位 到達` })
    expect(r.notifier.checkEscalations(now + 9 * 60_000)).toBe(0)
    expect(r.notifier.checkEscalations(now + 11 * 60_000)).toBe(1) // Lv2 never escalates
    expect(r.notifier.checkEscalations(now + 11 * 60_000)).toBe(0) // a step is taken once
    await waitFor(() => r.webhook.requests.length === 1 ? true : undefined, 'step 1 to the duty officer')
    expect(r.webhook.requests[0]!.url).toBe('/duty')
    const body = JSON.parse(r.webhook.requests[0]!.body.toString()) as { kind: string, step: number, body: string }
    expect(body).toMatchObject({ kind: 'alert.escalated', step: 1 })
    expect(body.body).toContain('1段目の連絡です（当番）')
    expect(r.notifier.checkEscalations(now + 21 * 60_000)).toBe(1)
    expect(r.notifier.checkEscalations(now + 31 * 60_000)).toBe(1) // the last step repeats
    await waitFor(() => r.webhook.requests.length === 3 ? true : undefined, 'steps 2 and 3 to the chief')
    expect(r.webhook.requests.map(q => q.url)).toEqual(['/duty', '/chief', '/chief'])
    now += 32 * 60_000
    r.alerts.acknowledge(a.id, 'staff:chief')
    expect(r.notifier.checkEscalations(now + 60 * 60_000)).toBe(0)
    const notes = r.alerts.history(a.id).filter(h => h.by === 'notify:escalation').map(h => h.note)
    expect(notes).toHaveLength(3)
    expect(notes[0]).toContain('エスカレーション 1段目 → 当番 (u-duty)')
    expect(notes[1]).toContain('2段目 → 課長 (u-chief)')
    expect(r.notifier.store.escalation(lv2.id)).toBeUndefined()
  })
})
