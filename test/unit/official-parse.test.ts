import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseTelegram } from '../../official/parse-telegram.js'
import { parseFeed } from '../../official/parse-feed.js'
import { SHARED } from '../helpers/app.js'

const DIR = join(SHARED, 'data', 'official')
const read = (name: string): Buffer => readFileSync(join(DIR, name))
const telegrams = readdirSync(DIR).filter(f => f.endsWith('.xml') && !f.includes('_feed_'))

describe('JMA telegrams in shared/data/official', () => {
  it.each(telegrams)('%s parses', name => {
    const t = parseTelegram(read(name))
    expect(t.head.reportDateTime).toBeGreaterThan(0)
    expect(t.entries.length).toBeGreaterThan(0)
  })

  it('the real 山形 VPWW54: 鶴岡市 (0620300) has 大雨警報, 洪水警報 and 雷注意報 in force, 警戒レベル3相当', () => {
    const t = parseTelegram(read('jma_pull_20240725040511_0_VPWW54_060000.xml'))
    expect(t.product).toBe('warning')
    const tsuruoka = t.entries.find(e => e.areaCode === '0620300')!
    expect(tsuruoka.areaName).toBe('鶴岡市')
    expect(tsuruoka.active.map(k => k.code).sort()).toEqual(['03', '04', '14'])
    expect(tsuruoka.active.every(k => k.status === '継続')).toBe(true)
    expect(tsuruoka.level).toBe(3)
    const sakata = t.entries.find(e => e.areaCode === '0620400')!
    expect(sakata.active.some(k => k.code === '33')).toBe(true)
    expect(sakata.level).toBe(5)
  })

  it('VPWW53 cancellation: every kind 解除, nothing active', () => {
    const t = parseTelegram(read('jma_sample_15_08_05_130412_VPWW53.xml'))
    const cities = t.entries.filter(e => e.areaCode.length === 7)
    expect(cities.length).toBeGreaterThan(0)
    expect(cities.every(e => e.active.length === 0)).toBe(true)
    expect(cities.some(e => e.cleared.length > 0)).toBe(true)
  })

  it.each([
    ['jma_sample_16_01_01_220728_VXKOii.xml', '20', 2],
    ['jma_sample_16_02_01_220728_VXKOii.xml', '30', 3],
    ['jma_sample_16_05_01_210630_VXKOii.xml', '30', 3],
    ['jma_sample_16_07_01_220728_VXKOii.xml', '40', 4],
    ['jma_sample_16_06_01_220728_VXKOii.xml', '41', 4],
    ['jma_sample_16_04_01_220728_VXKOii.xml', '53', 5]
  ])('洪水予報 %s: kind code %s → 警戒レベル%i相当, by code', (name, code, level) => {
    const t = parseTelegram(read(name))
    expect(t.product).toBe('flood')
    const area = t.entries.find(e => e.scope === '指定河川洪水予報（予報区域）')!
    expect(area.active[0]!.code).toBe(code)
    expect(area.level).toBe(level)
    expect(t.rivers.length).toBeGreaterThan(0)
  })

  it('土砂災害警戒情報 update: 松前町 継続, 知内町 発表 (レベル4相当), 函館市 なし', () => {
    const t = parseTelegram(read('jma_sample_17_02_02_190529_VXWW50.xml'))
    const by = (c: string) => t.entries.find(e => e.areaCode === c)!
    expect(by('0133100').active[0]!.status).toBe('継続')
    expect(by('0133300').active[0]!.status).toBe('発表')
    expect(by('0133300').level).toBe(4)
    expect(by('0120200').active).toEqual([])
  })

  it('記録的短時間大雨情報: 石狩地方 and 後志地方, not 空知地方', () => {
    const t = parseTelegram(read('jma_sample_18_03_01_190412_VPOA50.xml'))
    expect(t.entries.filter(e => e.active.length > 0).map(e => e.areaCode).sort()).toEqual(['016010', '016030'])
  })

  it('the real extra.xml feed: 393 entries with data type codes and office area codes from the link', () => {
    const f = parseFeed(read('jma_pull_feed_extra_20230710T0857JST.xml'))
    expect(f.entries.length).toBe(393)
    const e = f.entries[0]!
    expect(e.dataType).toBe('VXKO53')
    expect(e.officeCode).toBe('400000')
    expect(e.url).toMatch(/^https:\/\/www\.data\.jma\.go\.jp\//)
  })
})
