import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Suggestion } from '../../core/official-criteria.js'
import { createBandTracker } from '../../core/river/band.js'
import type { Thresholds } from '../../core/types.js'
import { createOfficial } from '../../official/index.js'
import { SHARED } from '../helpers/app.js'

const OFFICIAL = join(SHARED, 'data', 'official')
const HYDROGRAPH = join(SHARED, 'data', 'river', 'kuji_nukada_2026-08-12_rise_10min.csv')
const dir = mkdtempSync(join(tmpdir(), 'mimamori-drill-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

// drill thresholds on the real 額田 rise of 2026-08-12 (not official values): 避難判断 crossed 09:20, 氾濫危険 13:50, below 避難判断 again 21:40
const thresholds: Thresholds = { standby: -0.6, caution: -0.45, evacuationJudgement: -0.3, danger: 0.1, flooding: 1.0 }

describe('drill: a real 洪水予報 sequence with a replayed hydrograph', () => {
  it('the suggested 警戒レベル and its reasons change at the right telegrams and crossings', async () => {
    const config = loadConfig({
      overrides: {
        dataDir: dir,
        stations: [{ id: 'drill-nukada', name: '額田 (訓練)', nameEn: 'Nukada (drill)', river: '久慈川', lat: 36.5, lon: 140.5, deviceId: 'gauge-drill-nukada', datum: 0, sensorHeight: 8, thresholds, drill: true }],
        official: { enabled: true, areas: [{ code: '0620300', name: '鶴岡市', floodAreas: ['123456789012'], stations: ['drill-nukada'] }] }
      } as never
    })
    const bus = createEventBus()
    const official = createOfficial({ config, logger: silentLogger(), bus, file: join(dir, 'm.db') })
    await official.start()
    const band = createBandTracker(() => thresholds)
    const rows = readFileSync(HYDROGRAPH, 'utf8').trim().split('\n').slice(1).map(l => { const [t, v] = l.split(','); return { time: Date.parse(t!), level: Number(v) } })
    let i = 0
    const readUntil = (iso: string): void => {
      const end = Date.parse(iso)
      for (; i < rows.length && rows[i]!.time <= end; i++) {
        const r = rows[i]!
        // what ingest does for every stored reading (handlers/gauge.ts): the live band, statusChange on a change
        for (const s of band.step({ level: r.level, qc: { flag: 1, tests: {} } })) {
          bus.emit('statusChange', { stationId: 'drill-nukada', from: 'unknown', to: s.status, time: r.time, level: s.level })
        }
      }
    }
    let n = 0
    const telegram = (name: string): void => {
      // replay mode: the drill folder grows by one telegram; already stored ones are skipped as duplicates
      copyFileSync(join(OFFICIAL, name), join(dir, `${String(++n).padStart(2, '0')}_${name}`))
      const done = official.replay(dir).filter(r => r.outcome !== 'duplicate')
      expect(done.map(r => r.outcome)).toEqual(['applied'])
    }
    const now = (): Suggestion => official.suggestions.current()[0]!
    const kinds = (): string[] => now().reasons.map(r => `${r.level}:${r.kind}`)

    readUntil('2026-08-12T08:00:00+09:00')
    expect(now().level).toBe(0)
    telegram('jma_sample_16_01_01_220728_VXKOii.xml') // 氾濫注意情報 (レベル2相当): no criterion
    expect(now().level).toBe(0)

    readUntil('2026-08-12T09:10:00+09:00')
    expect(now().level).toBe(0)
    readUntil('2026-08-12T09:20:00+09:00') // -0.30 m: 避難判断水位
    expect(now().level).toBe(3)
    expect(kinds()).toEqual(['3:gauge'])
    expect(now().reasons[0]!.since).toBe(Date.parse('2026-08-12T09:20:00+09:00'))
    expect(now().reasons[0]!.text).toContain('避難判断水位')

    telegram('jma_sample_16_02_01_220728_VXKOii.xml') // 氾濫警戒情報
    expect(now().level).toBe(3)
    expect(kinds().sort()).toEqual(['3:flood', '3:gauge'])

    telegram('jma_sample_16_07_01_220728_VXKOii.xml') // 氾濫危険情報
    expect(now().level).toBe(4)
    expect(kinds().sort()).toEqual(['3:flood', '3:gauge', '4:flood'])
    expect(now().reasons[0]).toMatchObject({ level: 4, kind: 'flood', subject: '123456789012' })
    expect(now().reasons[0]!.text).toContain('氾濫危険情報')
    expect(now().since).toBe(Date.parse('2019-05-27T09:00:00+09:00'))

    readUntil('2026-08-12T13:40:00+09:00')
    expect(kinds().filter(k => k === '4:gauge')).toEqual([])
    readUntil('2026-08-12T13:50:00+09:00') // 0.10 m: 氾濫危険水位
    expect(kinds().filter(k => k.startsWith('4:')).sort()).toEqual(['4:flood', '4:gauge'])
    expect(now().reasons.find(r => r.level === 4 && r.kind === 'gauge')!.since).toBe(Date.parse('2026-08-12T13:50:00+09:00'))
    // reaching 氾濫危険 keeps the time 避難判断 was reached for the level-3 reason
    expect(now().reasons.find(r => r.level === 3 && r.kind === 'gauge')!.since).toBe(Date.parse('2026-08-12T09:20:00+09:00'))

    telegram('jma_sample_16_04_01_220728_VXKOii.xml') // 氾濫発生情報
    expect(now().level).toBe(5)
    expect(now().reasons[0]).toMatchObject({ level: 5, kind: 'flood' })

    readUntil('2026-08-12T21:40:00+09:00') // back below 避難判断水位: the gauge reasons go, the telegram's stay
    expect(now().level).toBe(5)
    expect(now().reasons.some(r => r.kind === 'gauge')).toBe(false)
    expect(kinds()).toContain('5:flood')

    // stored for the staff view and the advisory draft
    const stored = official.repo.suggestions()[0]!.doc as Suggestion
    expect(stored.level).toBe(5)
    await official.close()
  })

  it('a reference gauge (file import, published thresholds) counts as its own reason, marked 参考観測所', async () => {
    // the import as it stood at 12:00 on 2026-08-12 (the last reading decides the band)
    const src = readFileSync(join(SHARED, 'data', 'river', 'kuji_tomioka_2026-08-12_rise_10min.csv'), 'utf8').trim().split('\n')
    const imported = join(dir, 'tomioka-import.csv')
    writeFileSync(imported, src.filter((l, i) => i === 0 || Date.parse(l.split(',')[0]!) <= Date.parse('2026-08-12T12:00:00+09:00')).join('\n'))
    const config = loadConfig({
      overrides: {
        dataDir: dir,
        official: {
          enabled: true,
          areas: [{ code: '0620300', name: '鶴岡市', referenceStations: ['ref-tomioka'] }],
          // drill thresholds for 富岡 (not the published ones): 避難判断 -1.2 m is reached 2026-08-12 06:20
          referenceStations: [{ id: 'ref-tomioka', name: '富岡', river: '久慈川', lat: 36.6, lon: 140.4, file: imported, thresholds: { standby: -1.6, caution: -1.4, evacuationJudgement: -1.2, danger: -0.5, flooding: 0.5 } }]
        }
      } as never
    })
    const official = createOfficial({ config, logger: silentLogger(), bus: createEventBus(), file: join(dir, 'ref.db') })
    await official.start()
    const s = official.suggestions.current()[0]!
    expect(s.level).toBe(3)
    expect(s.reasons).toEqual([expect.objectContaining({ kind: 'reference', subject: 'ref-tomioka', since: Date.parse('2026-08-12T06:20:00+09:00') })])
    expect(s.reasons[0]!.text).toContain('参考観測所')
    await official.close()
  })
})
