import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch, tokenFor } from '../helpers/auth.js'

const replay = mkdtempSync(join(tmpdir(), 'mimamori-official-replay-'))
let t: TestApp
beforeAll(async () => {
  copyFileSync(join(SHARED, 'data', 'official', 'jma_sample_17_02_01_190529_VXWW50.xml'), join(replay, '01.xml'))
  t = await startTestApp({ official: { enabled: true, replayDir: replay, areas: [{ code: '0133100', name: '松前町' }] } } as never)
})
afterAll(async () => { await t?.close(); rmSync(replay, { recursive: true, force: true }) })

const url = (p: string): string => `${t.info.dashboardUrl}${p}`
const json = async (p: string, init?: RequestInit): Promise<any> => { const r = await apiFetch(url(p), init); expect(r.status, p).toBe(200); return await r.json() }

describe('official information through the API (replay mode at start)', () => {
  it('state and suggestion: 土砂災害警戒情報 for 松前町 suggests 避難指示 (4) with the telegram as reason, 出典：気象庁', async () => {
    const state = await json('/api/official/state')
    expect(state.attribution).toBe('出典：気象庁')
    const m = state.areas.find((a: any) => a.product === 'landslide' && a.areaCode === '0133100')
    expect(m).toMatchObject({ level: 4, phase: '発表', areaName: '松前町' })
    expect(m.prev).toBeUndefined()
    const s = await json('/api/official/suggestions')
    expect(s.suggestions[0]).toMatchObject({ areaCode: '0133100', level: 4 })
    expect(s.suggestions[0].reasons[0]).toMatchObject({ kind: 'landslide', level: 4 })
    const log = await json('/api/official/telegrams')
    expect(log.telegrams[0]).toMatchObject({ outcome: 'applied', infoKind: '土砂災害警戒情報' })
  })

  it('the advisory draft is pre-filled from the suggestion: level, area and reasons with the source', async () => {
    const d = await json('/api/advisories/draft', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ officialArea: '0133100' }) })
    expect(d.level).toBe(4)
    expect(d.area).toBe('松前町')
    expect(d.status).toBe('draft')
    expect(d.text).toContain('判断の根拠')
    expect(d.text).toContain('土砂災害警戒情報')
    expect(d.text).toContain('出典：気象庁')
    expect(d.official.level).toBe(4)
  })

  it('issued, its CAP message cites the JMA telegram it rests on (JMA_TELEGRAM parameter, not <references>) and 出典：気象庁', async () => {
    const d = await json('/api/advisories/draft', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ officialArea: '0133100' }) })
    await json(`/api/advisories/${d.id}/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    const link = await waitFor(async () => {
      const feed = await (await fetch(url('/api/cap/feed.atom'))).text()
      return /href="[^"]*(\/api\/cap\/[^"]+\.xml)"/.exec(feed)?.[1]
    }, 'CAP entry in the feed')
    const xml = await (await fetch(url(link))).text()
    expect(xml).toContain('<valueName>JMA_TELEGRAM</valueName>')
    expect(xml).toMatch(/<value>渡島・檜山地方土砂災害警戒情報\/20[0-9-]+T[0-9:]+\+09:00\/函館地方気象台\/土砂災害警戒情報<\/value>/)
    expect(xml).not.toContain('<references>')
    expect(/<description>([^<]*)<\/description>/.exec(xml)?.[1]).toContain('出典：気象庁')
  })

  it('criteria: readable by researchers, editable by admins only, audited, and used at the next evaluation', async () => {
    const researcher = await tokenFor(t.config, 'res1', 'researcher')
    const asResearcher = { authorization: `Bearer ${researcher}` }
    const list = await (await fetch(url('/api/official/criteria'), { headers: asResearcher })).json() as any[]
    expect(list[0]).toMatchObject({ areaCode: '0133100', guideline: true })
    expect(list[0].criteria.some((c: any) => c.source.kind === 'landslide' && c.level === 4)).toBe(true)
    const edited = list[0].criteria.filter((c: any) => c.source.kind !== 'landslide')
    const body = JSON.stringify({ criteria: edited })
    const denied = await fetch(url('/api/official/criteria/0133100'), { method: 'PUT', headers: { ...asResearcher, 'content-type': 'application/json' }, body })
    expect(denied.status).toBe(403)
    const bad = await apiFetch(url('/api/official/criteria/0133100'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ criteria: [{ level: 7, source: { kind: 'landslide' } }] }) })
    expect(bad.status).toBe(400)
    expect((await bad.json() as any).code).toBe('MIMAMORI_ERR_OFFICIAL_CRITERIA')
    await json('/api/official/criteria/0133100', { method: 'PUT', headers: { 'content-type': 'application/json' }, body })
    t.app.official!.suggestions.evaluate()
    const s = await json('/api/official/suggestions')
    expect(s.suggestions[0]).toMatchObject({ level: 0, reasons: [] })
    const db = new Database(join(t.dataDir, t.config.store.file), { readonly: true })
    const audit = db.prepare("SELECT actor, action, subject FROM audit_log WHERE action LIKE 'official.%'").all()
    db.close()
    // every write attempt is audited (the refused researcher's too); the admin's change is there
    expect(audit).toContainEqual({ actor: 'test-admin', action: 'official.criteria', subject: '0133100' })
    expect(audit).toContainEqual({ actor: 'res1', action: 'official.criteria', subject: '0133100' })
    await json('/api/official/criteria/0133100', { method: 'DELETE' })
    t.app.official!.suggestions.evaluate()
    expect((await json('/api/official/suggestions')).suggestions[0].level).toBe(4)
  })
})
