import { describe, expect, it } from 'vitest'
import { MimamoriError } from '../../core/errors.js'
import { parseLevelTable } from '../../simulators/replay/table.js'

const iso = (t: number): string => new Date(t).toISOString()

describe('bring your own data: column maps (simulators/replay/table.ts)', () => {
  it('reads the normalised time,level_m CSV unchanged', () => {
    const t = parseLevelTable('time,level_m\n2024-08-30T13:00:00+09:00,1.72\n2024-08-30T12:00:00+09:00,1.60\n')
    expect(t.points).toEqual([{ time: Date.parse('2024-08-30T03:00:00Z'), level: 1.6 }, { time: Date.parse('2024-08-30T04:00:00Z'), level: 1.72 }])
    expect(t).toMatchObject({ format: 'csv', units: 'm', bad: [], missing: 0 })
  })

  it('JMA/MLIT style: separate date and clock columns, Japanese headers, cm, JST given explicitly, 24:00', () => {
    const csv = '観測所,額田\n年月日,時刻,水位(cm)\n2024/08/30,23:00,172\n2024/08/30,24:00,175\n2024/08/31,01:00,欠測\n'
    const t = parseLevelTable(csv, { skipRows: 1, date: '年月日', clock: '時刻', level: '水位(cm)', units: 'cm', tz: '+09:00' })
    expect(t.points.map(p => [iso(p.time), p.level])).toEqual([['2024-08-30T14:00:00.000Z', 1.72], ['2024-08-30T15:00:00.000Z', 1.75]])
    expect(t.missing).toBe(1)
  })

  it('refuses times without a UTC offset unless --tz says the zone, naming the line', () => {
    const csv = 'time,level_m\n2024-08-30 13:00,1.72\n'
    expect(() => parseLevelTable(csv, {}, 'naive.csv')).toThrow(/naive\.csv:2: the time has no UTC offset: give --tz/)
    expect(parseLevelTable(csv, { tz: 'JST' }).points[0]!.time).toBe(Date.parse('2024-08-30T04:00:00Z'))
  })

  it('wide tables (時刻水位月表): one row a day, 24 hourly columns, provisional marks kept and counted', () => {
    const hours = Array.from({ length: 24 }, (_, h) => `${h + 1}時`)
    const day1 = Array.from({ length: 24 }, (_, h) => (h === 5 ? '1.23*' : h === 6 ? '閉局' : (h / 100).toFixed(2)))
    const csv = [['日付', ...hours].join(','), ['2024/08/30', ...day1].join(',')].join('\n')
    const t = parseLevelTable(csv, { format: 'wide', tz: '+09:00' })
    expect(t.points).toHaveLength(23)
    expect(iso(t.points[0]!.time)).toBe('2024-08-29T16:00:00.000Z') // 1時 JST
    expect(iso(t.points[22]!.time)).toBe('2024-08-30T15:00:00.000Z') // 24時 = next day 00:00 JST
    expect(t.points[5]!.level).toBe(1.23)
    expect(t).toMatchObject({ missing: 1, flagged: 1 })
  })

  it('USGS RDB: comments, format line, tz_cd per row, gauge height in feet', () => {
    const rdb = [
      '# U.S. Geological Survey',
      '# Data provided for site 01646500',
      'agency_cd\tsite_no\tdatetime\ttz_cd\t69928_00065\t69928_00065_cd',
      '5s\t15s\t20d\t6s\t14n\t10s',
      'USGS\t01646500\t2024-08-09 00:00\tEDT\t3.50\tP',
      'USGS\t01646500\t2024-08-09 00:15\tEDT\tIce\tP',
      'USGS\t01646500\t2024-11-09 00:00\tEST\t10.00\tA'
    ].join('\n')
    const t = parseLevelTable(rdb)
    expect(t.format).toBe('rdb')
    expect(t.units).toBe('ft')
    expect(t.points.map(p => [iso(p.time), p.level])).toEqual([['2024-08-09T04:00:00.000Z', 1.0668], ['2024-11-09T05:00:00.000Z', 3.048]])
    expect(t.missing).toBe(1)
  })

  it('bad rows: abort names the line (coded error); skip reports each with its line number and goes on', () => {
    const csv = 'time,level_m\n2024-08-30T13:00+09:00,1.72\n2024-08-30T14:00+09:00,abc\nyesterday,1.0\n2024-08-30T15:00+09:00,1.80\n'
    let err: unknown
    try { parseLevelTable(csv, {}, 'x.csv') } catch (e) { err = e }
    expect(err).toBeInstanceOf(MimamoriError)
    expect((err as MimamoriError).code).toBe('MIMAMORI_ERR_DATA_ROW')
    expect((err as MimamoriError).message).toContain('x.csv:3: "abc" is not a number')
    const t = parseLevelTable(csv, { onBadRow: 'skip' })
    expect(t.bad.map(b => [b.line, b.reason])).toEqual([[3, '"abc" is not a number'], [4, '"yesterday" is not a time']])
    expect(t.points.map(p => p.level)).toEqual([1.72, 1.8])
  })

  it('names the columns it has when a mapped one is missing', () => {
    expect(() => parseLevelTable('when,stage_ft\n', { level: 'level' })).toThrow(/no time column .* in the header: when, stage_ft; name it with --time-col/)
  })
})
