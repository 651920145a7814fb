import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StationConfig } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import type { Alert } from '../../core/types.js'
import { readLevelCsv, replayHydrograph, upwardCrossings, uplinksPerDay, type RecordedPoint, type ReplayOptions, type ReplayResult } from '../../simulators/replay/index.js'
import { SHARED } from '../helpers/app.js'
import { earlyTolerance, riverStation, startRiverApp, type RiverTestApp } from '../helpers/river.js'

const RIVER = join(SHARED, 'data', 'river')
const TEN_MIN = 600_000
const MIN = 60_000
const THRESHOLDS = ['standby', 'caution', 'evacuationJudgement', 'danger', 'flooding'] as const

/**
 * The gauge's adaptive reporting (edge/gauge/reporting.ts) in the replay: the
 * true level (interpolated record) is measured every minute of data time and
 * the 監視/観測 policy decides what goes over the air, as the firmware does.
 * Real data through gauge model → policy → MQTT → ingest → QC → rules. Test
 * thresholds (official ones unknown, PROVENANCE.md) are stated per station.
 */
describe('river replay with adaptive 監視/観測 reporting', () => {
  // 額田 typhoon 2024-08-30 (hourly): same test thresholds as river-replay.test.ts.
  const typhoon = riverStation('nukada-adaptive', { observationStart: -0.3, standby: 0.0, caution: 0.5, evacuationJudgement: 1.0, danger: 1.5, flooding: 1.7 },
    { tuning: { rateOfRiseMPerHour: 0.25 } })
  // 久慈大橋 tidal week, configured as docs/river.md says for a tidal reach: 観測開始 above
  // high water (max 1.93 m): 観測開始 2.00, 水防団待機 2.20, 氾濫注意 2.50, 避難判断 3.00, 氾濫危険 3.50, 氾濫発生 4.00
  const tidal = riverStation('kujiohashi-adaptive', { observationStart: 2.0, standby: 2.2, caution: 2.5, evacuationJudgement: 3.0, danger: 3.5, flooding: 4.0 })
  // the real 10-minute rises of 2026-08-12 (08-12 and 08-14 pulses). Test thresholds, m on the gauge datum:
  //   額田 (−0.83 → 0.13 m on 08-12, −0.25 → 0.19 m on 08-14):
  //     観測開始 −0.70, 水防団待機 −0.50, 氾濫注意 −0.30, 避難判断 −0.10, 氾濫危険 0.10, 氾濫発生 0.30 (not reached)
  const nukadaRise = riverStation('nukada-rise', { observationStart: -0.7, standby: -0.5, caution: -0.3, evacuationJudgement: -0.1, danger: 0.1, flooding: 0.3 })
  //   富岡 (−1.25 → −0.74 m on 08-12, −1.38 → −0.80 m on 08-14; official 水防団待機 1.50 m is far above):
  //     観測開始 −1.40, 水防団待機 −1.20, 氾濫注意 −1.05, 避難判断 −0.95, 氾濫危険 −0.85, 氾濫発生 −0.60 (not reached)
  const tomiokaRise = riverStation('tomioka-rise', { observationStart: -1.4, standby: -1.2, caution: -1.05, evacuationJudgement: -0.95, danger: -0.85, flooding: -0.6 })

  let t: RiverTestApp
  beforeAll(async () => {
    t = await startRiverApp([typhoon, tidal, nukadaRise, tomiokaRise], {}, Date.parse('2024-08-26T00:00:00+09:00'))
  })
  afterAll(async () => { await t?.close() })

  const alertsFor = (stationId: string): Alert[] => t.app.alerts!.list({ subjectId: stationId, limit: 1000 }).reverse()
  const run = async (station: StationConfig, points: RecordedPoint[], extra: Partial<ReplayOptions> = {}): Promise<ReplayResult> =>
    await replayHydrograph({
      station: t.app.store!.getStation(station.id)!,
      points,
      mqttUrl: t.info.mqttUrl,
      logger: silentLogger(),
      clock: t.clock,
      intervalMs: TEN_MIN,
      adaptive: true,
      settle: t.settle(station.id),
      ...extra
    })

  /** days (JST) wholly inside the record whose recorded level stays below 観測開始 − 0.1 m (the policy's hysteresis) */
  const calmDays = (points: RecordedPoint[], station: StationConfig, result: ReplayResult): Array<{ day: string, uplinks: number }> =>
    uplinksPerDay(result.uplinks, result.from, result.to).filter(({ day }) => {
      const start = Date.parse(`${day}T00:00:00+09:00`)
      const inDay = points.filter(p => p.time >= start && p.time <= start + 86_400_000)
      return start >= result.from && start + 86_400_000 <= result.to && inDay.length > 0 &&
        inDay.every(p => p.level < station.thresholds.observationStart! - 0.1)
    })

  /** every upward crossing of each threshold has its alert within one 観測 interval (10 min) of data time */
  const checkCrossings = (station: StationConfig, points: RecordedPoint[]): { lines: string[], crossings: number } => {
    const alerts = alertsFor(station.id)
    const lines: string[] = []
    let crossings = 0
    for (const key of THRESHOLDS) {
      const threshold = station.thresholds[key]
      const expected = upwardCrossings(points, threshold, t.config.river.rules.hysteresisM)
      const fired = alerts.filter(a => a.rule === `threshold.${key}` && a.firedAt !== null)
      expect(fired.length, `${station.id} alerts for ${key}`).toBe(expected.length)
      expected.forEach((crossing, i) => {
        const at = fired[i]!.firedAt!
        const delay = at - crossing
        // never later than one reporting interval after the crossing in data time, never earlier than
        // the rounding and noise of the gauge explain (earlyTolerance: the true level within NOISE_BAND_M of it)
        const early = earlyTolerance(points, crossing, threshold)
        expect(delay, `${station.id} ${key} crossing ${i + 1}`).toBeLessThanOrEqual(TEN_MIN)
        expect(delay, `${station.id} ${key} crossing ${i + 1} (early tolerance ${(early / MIN).toFixed(1)} min)`).toBeGreaterThanOrEqual(-early)
        lines.push(`  ${key} ${threshold.toFixed(2)} m: crossed ${new Date(crossing).toISOString()}, alert ${new Date(at).toISOString()}, delay ${(delay / MIN).toFixed(1)} min (allowed −${(early / MIN).toFixed(1)} … +10 min)`)
        crossings++
      })
    }
    return { lines, crossings }
  }

  /** the 3-hour 氾濫危険 forecast comes before the first 氾濫危険 crossing; returns the lead */
  const forecastLead = (station: StationConfig, points: RecordedPoint[]): number => {
    const forecast = alertsFor(station.id).find(a => a.rule === 'forecast.danger')
    expect(forecast, `${station.id} forecast`).toBeDefined()
    const crossing = upwardCrossings(points, station.thresholds.danger, t.config.river.rules.hysteresisM)[0]!
    const lead = crossing - forecast!.firedAt!
    expect(lead).toBeGreaterThan(0)
    return lead
  }

  it('typhoon at 額田: calm days far below 144 uplinks/day, every crossing still alerted within 10 min', async () => {
    const points = readLevelCsv(join(RIVER, 'kuji_nukada_2024-08-30_typhoon_hourly.csv'))
    const result = await run(typhoon, points)
    const calm = calmDays(points, typhoon, result)
    expect(calm.map(d => d.day)).toEqual(['2024-08-26', '2024-08-27', '2024-08-28', '2024-08-29'])
    for (const d of calm) expect(d.uplinks, d.day).toBeLessThanOrEqual(24) // ≤ 1/6 of fixed 10-minute reporting
    const { lines, crossings } = checkCrossings(typhoon, points)
    expect(crossings).toBe(7) // as river-replay.test.ts: 氾濫発生 twice, 水防団待機 again on 09-02
    const lead = forecastLead(typhoon, points)
    const perDay = uplinksPerDay(result.uplinks, result.from, result.to)
    console.log([
      `adaptive typhoon replay: ${result.measurements} measurements, ${result.frames} uplinks (${JSON.stringify(result.reasons)}) in ${(result.wallMs / 1000).toFixed(1)} s`,
      `  uplinks/day: ${perDay.map(d => `${d.day.slice(5)} ${d.uplinks}`).join(', ')} (fixed 10 min: 144/day)`,
      `  calm days (below 観測開始 −0.30 m): ${calm.map(d => d.uplinks).join(', ')} uplinks/day, mean ${(calm.reduce((s, d) => s + d.uplinks, 0) / calm.length).toFixed(1)} vs 144`,
      ...lines,
      `  forecast 氾濫危険 within 3 h: lead ${(lead / MIN).toFixed(0)} min before the crossing`
    ].join('\n'))
    // 観測 mode did report every 10 minutes during the flood
    const flood = result.uplinks.filter(u => u >= Date.parse('2024-08-30T12:00:00+09:00') && u < Date.parse('2024-08-31T00:00:00+09:00'))
    expect(flood.length).toBeGreaterThanOrEqual(70)
  })

  it('tidal week at 久慈大橋: far below 144 uplinks/day, no alert', async () => {
    const points = readLevelCsv(join(RIVER, 'kuji_kujiohashi_2026-07-30_tidal_week_10min.csv'))
    const result = await run(tidal, points)
    const days = uplinksPerDay(result.uplinks, result.from, result.to)
      .filter(d => Date.parse(`${d.day}T00:00:00+09:00`) + 86_400_000 <= result.to)
    expect(days).toHaveLength(7)
    for (const d of days) expect(d.uplinks, d.day).toBeLessThanOrEqual(72) // ≤ half of fixed 10-minute reporting
    console.log(`adaptive tidal replay: ${result.frames} uplinks (${JSON.stringify(result.reasons)}); uplinks/day: ${days.map(d => `${d.day.slice(5)} ${d.uplinks}`).join(', ')} (fixed 10 min: 144/day), alerts: ${alertsFor(tidal.id).length}`)
    expect(alertsFor(tidal.id)).toEqual([])
  })

  for (const [station, file] of [[nukadaRise, 'kuji_nukada_2026-08-12_rise_10min.csv'], [tomiokaRise, 'kuji_tomioka_2026-08-12_rise_10min.csv']] as const) {
    it(`real 10-minute rise 2026-08-12 at ${station.id}: every crossing alerted within 10 min, forecast before 氾濫危険`, async () => {
      const points = readLevelCsv(join(RIVER, file))
      const result = await run(station, points)
      const { lines, crossings } = checkCrossings(station, points)
      expect(crossings).toBeGreaterThanOrEqual(4) // the 08-12 rise crosses 水防団待機 … 氾濫危険
      expect(alertsFor(station.id).some(a => a.rule === 'threshold.flooding')).toBe(false)
      const lead = forecastLead(station, points)
      const rate = alertsFor(station.id).filter(a => a.rule === 'rateOfRise')
      console.log([
        `rise replay ${file}: ${result.frames} uplinks of ${result.measurements} measurements in ${(result.wallMs / 1000).toFixed(1)} s`,
        ...lines,
        `  forecast 氾濫危険 within 3 h: lead ${(lead / MIN).toFixed(0)} min before the crossing`,
        `  rate of rise ≥ 0.5 m/h: ${rate.length === 0 ? 'none' : rate.map(a => new Date(a.firedAt!).toISOString()).join(', ')}`
      ].join('\n'))
    })
  }
})
