import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StationConfig } from '../../core/config/schema.js'
import { simReplayCommand } from '../../cli/replay.js'
import type { ReplayReport } from '../../simulators/replay/report.js'
import { SHARED, startTestApp, type TestApp } from '../helpers/app.js'
import { riverStation } from '../helpers/river.js'

const TYPHOON = join(SHARED, 'data', 'river', 'kuji_nukada_2024-08-30_typhoon_hourly.csv')

/**
 * The report after a replay, on the 額田 typhoon of 2024-08-30 (hourly, 217 rows, −0.80 → 1.75 m):
 * the crossings are computed here from the CSV by hand, independently of the report code.
 */
describe('replay report on the shared typhoon record', () => {
  // test thresholds on the gauge datum (as river-replay-adaptive.test.ts), all five crossed once
  const station: StationConfig = { ...riverStation('report-nukada', { observationStart: -0.3, standby: 0.0, caution: 0.5, evacuationJudgement: 1.0, danger: 1.5, flooding: 1.7 }), drill: true }
  let t: TestApp
  let dir: string
  let report: ReplayReport
  let svg: string

  beforeAll(async () => {
    t = await startTestApp({ stations: [station] })
    dir = mkdtempSync(join(tmpdir(), 'mimamori-report-'))
    const config = join(dir, 'config.json')
    writeFileSync(config, JSON.stringify({ dataDir: t.dataDir, log: { level: 'silent' }, broker: { port: t.info.mqttPort }, stations: [station] }))
    const code = await simReplayCommand(['--file', TYPHOON, '--station', station.id, '--speed', 'max', '--drill', '--report', join(dir, 'typhoon'), '--config', config])
    expect(code).toBe(0)
    report = JSON.parse(readFileSync(join(dir, 'typhoon.json'), 'utf8')) as ReplayReport
    svg = readFileSync(join(dir, 'typhoon.svg'), 'utf8')
  })
  afterAll(async () => {
    await t?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('finds the record\'s peak and every upward crossing, by hand from the CSV', () => {
    const rows = readFileSync(TYPHOON, 'utf8').trim().split('\n').slice(1).map(l => { const [time, v] = l.split(','); return { time: Date.parse(time!), level: Number(v) } })
    expect(report.points).toBe(217)
    expect(report.peak).toEqual({ time: '2024-08-30T09:00:00.000Z', level: 1.75 })
    // upward crossings with the rules' 5 cm hysteresis: counted again only after the level fell below line − 0.05
    const byHand = (line: number): Array<{ before: number, after: number }> => {
      const out: Array<{ before: number, after: number }> = []
      let armed = rows[0]!.level < line
      for (let k = 1; k < rows.length; k++) {
        if (armed && rows[k - 1]!.level < line && rows[k]!.level >= line) { out.push({ before: rows[k - 1]!.time, after: rows[k]!.time }); armed = false }
        if (!armed && rows[k]!.level < line - 0.05) armed = true
      }
      return out
    }
    for (const th of report.thresholds) {
      const expected = byHand(th.level)
      expect(th.crossings, th.key).toHaveLength(expected.length)
      th.crossings.forEach((c, k) => {
        expect(Date.parse(c), th.key).toBeGreaterThan(expected[k]!.before)
        expect(Date.parse(c), th.key).toBeLessThanOrEqual(expected[k]!.after)
      })
    }
    // the record: 水防団待機 twice (a first wave on 08-28), 氾濫発生 twice around the peak
    expect(report.thresholds.map(th => th.crossings.length)).toEqual([2, 1, 1, 1, 2])
  })

  it('every crossing (in the readings that pass QC) raised its alert within one hourly sample, all 【訓練】 drills', () => {
    expect(report.summary).toMatchObject({ crossings: 7, detected: 7, missed: 0, onTime: 7, falseAlerts: 0, artefacts: 0, gaps: 0 })
    for (const d of report.detection) {
      expect(d.delayMinutes, d.threshold).not.toBeNull()
      expect(d.delayMinutes!, d.threshold).toBeGreaterThanOrEqual(0)
      expect(d.delayMinutes!, d.threshold).toBeLessThanOrEqual(60)
    }
    // the data's own zone (the CSV is written in +09:00) and the shift that maps API times back
    expect(report.zone).toBe('+09:00')
    expect(report.sampleMinutes).toBe(60)
    expect(Number.isInteger(report.shiftMs)).toBe(true)
    expect(report.alerts.every(a => a.drill)).toBe(true)
    expect(report.alerts.map(a => a.rule)).toEqual(expect.arrayContaining(['threshold.standby', 'threshold.caution', 'threshold.evacuationJudgement', 'threshold.danger', 'threshold.flooding']))
  })

  it('forecast lead for 氾濫危険 and QC flags of every stored reading', () => {
    expect(report.forecast).toHaveLength(1)
    const f = report.forecast[0]!
    expect(f.forecastAt).not.toBeNull()
    // ahead of the crossing, and within the 3-hour horizon MLIT uses (plus a frame)
    expect(f.leadMinutes!).toBeGreaterThan(0)
    expect(f.leadMinutes!).toBeLessThanOrEqual(190)
    const flagged = Object.values(report.qc.byFlag).reduce((a, b) => a + b, 0)
    expect(flagged).toBe(report.readings)
    // the recorded rows and nothing else: no frame is invented between them
    expect(report.readings).toBe(217)
  })

  it('draws the hydrograph: the record, the five thresholds and each alert at its data time', () => {
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/class="threshold"/g)).toHaveLength(5)
    expect(svg).toContain('class="record"')
    for (const a of report.alerts) if (a.firedAt !== null) expect(svg).toContain(`data-rule="${a.rule}" data-time="${a.firedAt}"`)
    expect(svg).toContain('【訓練】')
  })
})
