import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { openDatabase } from '../../store/db.js'
import { createOfficialRepository } from '../../store/official.js'
import { createReceiver, type Receiver } from '../../official/receiver.js'
import { SHARED } from '../helpers/app.js'
import { hostile, minimalTelegram } from '../helpers/official.js'

const DIR = join(SHARED, 'data', 'official')
const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

function open (file = ':memory:'): { rx: Receiver, repo: ReturnType<typeof createOfficialRepository>, close: () => void } {
  const handle = openDatabase(file)
  const repo = createOfficialRepository(handle.db)
  const rx = createReceiver({ repo, logger: silentLogger(), statuses: ['通常'], maxBytes: 4 * 1024 * 1024 })
  return { rx, repo, close: () => { handle.release() } }
}
const play = (rx: Receiver, name: string) => rx.receive(readFileSync(join(DIR, name)), `file:${name}`)

describe('official state through issue → update → cancel', () => {
  it('奈良 warnings (VPWW53): 大雨特別警報 発表 → 継続 in 五條市南部 / 特別警報から注意報 in 奈良市 → all 解除', () => {
    const { rx } = open()
    play(rx, 'jma_sample_15_08_01_130412_VPWW53.xml')
    const nara = () => rx.state.get('warning:2920100')!
    const gojoS = () => rx.state.get('warning:2920702')!
    expect(nara().level).toBe(5)
    expect(nara().phase).toBe('発表')
    expect(nara().active.map(k => k.code)).toContain('33')
    const since33 = gojoS().active.find(k => k.code === '33')!.since
    expect(since33).toBe(Date.parse('2011-09-03T12:00:00+09:00'))

    play(rx, 'jma_sample_15_08_04_160628_VPWW53.xml')
    expect(nara().level).toBe(2)
    expect(nara().active.map(k => `${k.code}:${k.status}`)).toEqual(['10:特別警報から注意報'])
    expect(gojoS().level).toBe(5)
    // 大雨特別警報 continues: in force since the first telegram, not the update
    expect(gojoS().active.find(k => k.code === '33')!.since).toBe(since33)
    expect(gojoS().levelSince).toBe(since33)
    expect(rx.state.get('warning:2920300')!.phase).toBe('解除')

    play(rx, 'jma_sample_15_08_05_130412_VPWW53.xml')
    expect(gojoS().level).toBeNull()
    expect(gojoS().phase).toBe('解除')
    expect(gojoS().active).toEqual([])
    const anyActive = [...rx.state.values()].filter(s => s.areaCode.startsWith('29') && s.areaCode.length === 7 && s.active.length > 0)
    expect(anyActive).toEqual([])
  })

  it('函館 土砂災害警戒情報 (VXWW50): 発表 → 継続 + 知内町 発表 → 全警戒解除', () => {
    const { rx } = open()
    play(rx, 'jma_sample_17_02_01_190529_VXWW50.xml')
    const matsumae = () => rx.state.get('landslide:0133100')!
    expect(matsumae().level).toBe(4)
    expect(matsumae().phase).toBe('発表')
    expect(rx.state.get('landslide:0133300')!.level).toBeNull()
    const since = matsumae().levelSince

    play(rx, 'jma_sample_17_02_02_190529_VXWW50.xml')
    expect(matsumae().phase).toBe('継続')
    expect(matsumae().levelSince).toBe(since)
    expect(rx.state.get('landslide:0133300')!.level).toBe(4)
    expect(rx.state.get('landslide:0133300')!.phase).toBe('発表')

    play(rx, 'jma_sample_17_02_03_190529_VXWW50.xml')
    for (const c of ['0133100', '0133200', '0133300']) {
      expect(rx.state.get(`landslide:${c}`)!.level).toBeNull()
      expect(rx.state.get(`landslide:${c}`)!.phase).toBe('解除')
    }
  })

  it('洪水予報 (VXKO): 氾濫注意 2 → 氾濫警戒 3 → 氾濫危険 4 → 氾濫発生 5 for the same 予報区域, each raising the level', () => {
    const { rx } = open()
    const area = () => rx.state.get('flood:123456789012')!
    const steps: Array<[string, number]> = [
      ['jma_sample_16_01_01_220728_VXKOii.xml', 2], ['jma_sample_16_02_01_220728_VXKOii.xml', 3],
      ['jma_sample_16_07_01_220728_VXKOii.xml', 4], ['jma_sample_16_04_01_220728_VXKOii.xml', 5]
    ]
    for (const [name, level] of steps) {
      expect(play(rx, name).outcome).toBe('applied')
      expect(area().level).toBe(level)
    }
  })

  it('取消 takes back the withdrawn telegram; 訂正 replaces it; an older telegram changes nothing', () => {
    const { rx } = open()
    const s = () => rx.state.get('landslide:0620300')
    const t1 = '2026-08-12T15:00:00+09:00'
    const t2 = '2026-08-12T16:00:00+09:00'
    rx.receive(Buffer.from(minimalTelegram({ report: t1 })), 'a')
    expect(s()!.level).toBe(4)
    rx.receive(Buffer.from(minimalTelegram({ report: t2, status: '継続', serial: '2' })), 'b')
    expect(s()!.phase).toBe('継続')
    // withdrawal of the update (same ReportDateTime): back to the first telegram's state
    rx.receive(Buffer.from(minimalTelegram({ report: t2, infoType: '取消', serial: '2' })), 'c')
    expect(s()!.phase).toBe('発表')
    expect(s()!.reportTime).toBe(Date.parse(t1))
    // correction of the first: it said 警戒, the correction says なし
    rx.receive(Buffer.from(minimalTelegram({ report: t1, infoType: '訂正', kindCode: '0', status: 'なし' })), 'd')
    expect(s()!.level).toBeNull()
    // withdrawing the only telegram leaves nothing
    rx.receive(Buffer.from(minimalTelegram({ report: t1, infoType: '取消' })), 'e')
    expect(s()).toBeUndefined()
    // a late telegram older than the state does not overwrite it
    rx.receive(Buffer.from(minimalTelegram({ report: t2, kindCode: '3', status: '発表', serial: '5' })), 'f')
    const late = rx.receive(Buffer.from(minimalTelegram({ report: t1, kindCode: '0', status: 'なし', serial: '4' })), 'g')
    expect(late.outcome).toBe('stale')
    expect(s()!.level).toBe(4)
  })

  it('every telegram is stored raw once; a refused one is recorded without its bytes and changes nothing; state survives a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mimamori-official-')); dirs.push(dir)
    const file = join(dir, 'm.db')
    const a = open(file)
    play(a.rx, 'jma_sample_17_02_01_190529_VXWW50.xml')
    expect(play(a.rx, 'jma_sample_17_02_01_190529_VXWW50.xml').outcome).toBe('duplicate')
    const before = JSON.stringify([...a.rx.state.entries()])
    const bad = a.rx.receive(Buffer.from(hostile.billionLaughs()), 'evil')
    expect(bad).toMatchObject({ outcome: 'refused', errorCode: 'MIMAMORI_ERR_OFFICIAL_DTD' })
    expect(JSON.stringify([...a.rx.state.entries()])).toBe(before)
    const rows = a.repo.telegrams()
    expect(rows.map(r => r.outcome).sort()).toEqual(['applied', 'refused'])
    const applied = rows.find(r => r.outcome === 'applied')!
    expect(a.repo.telegramXml(applied.id)).toBe(readFileSync(join(DIR, 'jma_sample_17_02_01_190529_VXWW50.xml'), 'utf8'))
    expect(a.repo.telegramXml(rows.find(r => r.outcome === 'refused')!.id)).toBeUndefined()
    a.close()
    const b = open(file)
    expect(JSON.stringify([...b.rx.state.entries()].sort())).toBe(JSON.stringify([...JSON.parse(before) as Array<[string, unknown]>].sort()))
    b.close()
  })

  it('訓練 and 試験 telegrams are stored but not applied', () => {
    const { rx } = open()
    const r = rx.receive(Buffer.from(minimalTelegram().replace('<Status>通常</Status>', '<Status>試験</Status>')), 'x')
    expect(r.outcome).toBe('ignored')
    expect(rx.state.size).toBe(0)
  })
})
