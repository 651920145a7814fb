import { describe, expect, it } from 'vitest'
import type { Reading, Station } from '../../core/types.js'
import { parseLevelTable } from '../../simulators/replay/table.js'
import { buildReport } from '../../simulators/replay/report.js'
import { dataTime, formatReport } from '../../simulators/replay/report-format.js'
import { hydrographSvg } from '../../simulators/replay/svg.js'

const MIN = 60_000
const station: Station = {
  id: 's', name: 's', nameEn: 's', river: 'r', lat: 0, lon: 0, deviceId: 'g', datum: 0, sensorHeight: 3, type: 'street',
  thresholds: { observationStart: 0.03, standby: 0.05, caution: 0.15, evacuationJudgement: 0.3, danger: 0.5, flooding: 1.0 }
}

describe('replay input and report for people', () => {
  it('maps a battery column and keeps the data\'s own zone', () => {
    const t = parseLevelTable('time,level_m,batt_v\n2023-04-10T20:38:54.761+00:00,0.01,4.08\n2023-04-10T20:39:55.000+00:00,0.02,\n', { battery: 'batt_v', onBadRow: 'abort' })
    expect(t.points).toEqual([{ time: Date.parse('2023-04-10T20:38:54.761Z'), level: 0.01, batteryV: 4.08 }, { time: Date.parse('2023-04-10T20:39:55Z'), level: 0.02, batteryV: null }])
    expect(t.zone).toBe('Z')
    expect(t.columns.battery).toBe('batt_v')
    expect(parseLevelTable('time,level_m\n2024-08-30T13:00:00+09:00,1.72\n').zone).toBe('+09:00')
    expect(parseLevelTable('time,level_m\n2024-08-30 13:00,1.72\n', { tz: '-05:00' }).zone).toBe('-05:00')
  })

  it('prints times in the data\'s zone with JST beside, rounded numbers, a compact summary first', () => {
    expect(dataTime('2023-09-29T11:55:00.000Z', 'Z')).toBe('2023-09-29 11:55 UTC (09-29 20:55 JST)')
    expect(dataTime('2024-08-30T04:00:00.000Z', '+09:00')).toBe('2024-08-30 13:00 JST')
    expect(dataTime('2024-08-30T04:00:00.000Z', '-05:00')).toBe('2024-08-29 23:00 -05:00 (08-30 13:00 JST)')
    // a sawtooth in and out of the 0.05 m line every 2 h for 13 days of 1-minute readings: many crossings
    const t0 = Date.parse('2023-09-01T00:00:00Z')
    const readings: Reading[] = []
    for (let i = 0; i < 13 * 1440; i++) {
      const level = (i % 120) < 60 ? 0.0 + (i % 60) * 0.0011 : 0.0
      readings.push({ stationId: 's', deviceId: 'g', time: t0 + i * MIN + 7, receivedAt: 0, level, batteryV: null, temperatureC: null, spreadMm: null, validPings: 1, totalPings: 1, deviceFlags: 0, seq: 0, qc: { flag: 1, tests: {} } })
    }
    const report = buildReport({ station, file: 'x.csv', points: readings.map(r => ({ time: r.time, level: r.level })), from: t0, to: t0 + 13 * 86_400_000, shiftMs: 0, zone: 'Z', readings, alerts: [], hysteresisM: 0.05, zeroLevel: 0 })
    expect(report.summary.crossings).toBeGreaterThan(100)
    expect(report.summary.missed).toBe(report.summary.crossings)
    expect(report.sampleMinutes).toBe(1)
    const text = formatReport(report)
    const lines = text.trim().split('\n')
    expect(lines[2]).toContain('要約')
    expect(lines.length).toBeLessThan(30)
    expect(text).toContain('(--detail)')
    expect(formatReport(report, true).split('\n').length).toBeGreaterThan(report.summary.crossings)
    expect(text).not.toMatch(/\d\.\d{5,}/) // no 3.5999999999999996
    // the SVG is bounded by its width, not by the 18 720 readings
    const svg = hydrographSvg(report, readings.map(r => ({ time: r.time, level: r.level })), readings.map(r => ({ time: r.time, level: r.level, flag: 1 })))
    expect(svg.length).toBeLessThan(400_000)
    expect(svg).toContain('>UTC</text>')
  })
})
