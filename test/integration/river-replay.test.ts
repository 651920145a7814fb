import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import type { Alert } from '../../core/types.js'
import { readLevelCsv, replayHydrograph, upwardCrossings, type ReplayResult } from '../../simulators/replay/index.js'
import { SHARED } from '../helpers/app.js'
import { earlyTolerance, riverStation, startRiverApp, type RiverTestApp } from '../helpers/river.js'
import { apiFetch } from '../helpers/auth.js'

const RIVER = join(SHARED, 'data', 'river')
const TEN_MIN = 600_000
const MIN = 60_000

/**
 * Real hydrographs through the whole path (gauge model → frame → MQTT → ingest →
 * QC → store → rules → alerts), data-time driven. Official thresholds of these
 * gauges are unknown (PROVENANCE.md), so the test stations carry thresholds
 * chosen so that the event crosses them; they are stated here.
 */
describe('river replay: real data through the pipeline', () => {
  // 額田 typhoon (2024-08-30, hourly, −0.69 → 1.75 m). Test thresholds, m on the gauge datum:
  //   観測開始 −0.30, 水防団待機 0.00, 氾濫注意 0.50, 避難判断 1.00, 氾濫危険 1.50, 氾濫発生 1.70
  // The level rises through all five, dips to 1.58 m (below 1.70 − 0.05 hysteresis) and
  // rises to 1.75 m again: 氾濫発生 is crossed twice; a second rain on 09-02 crosses 水防団待機 again.
  const nukada = riverStation('nukada-typhoon', { observationStart: -0.3, standby: 0.0, caution: 0.5, evacuationJudgement: 1.0, danger: 1.5, flooding: 1.7 },
    { tuning: { rateOfRiseMPerHour: 0.25 } })
  // 久慈大橋 tidal week (max 1.93 m, tidal rises up to +0.29 m/h). Test thresholds set as for a
  // tidal reach: 観測開始 1.50 (below high water, so the rate and forecast rules are live),
  //   水防団待機 2.00, 氾濫注意 2.50, 避難判断 3.00, 氾濫危険 3.50, 氾濫発生 4.00
  const ohashi = riverStation('kujiohashi-tidal', { observationStart: 1.5, standby: 2.0, caution: 2.5, evacuationJudgement: 3.0, danger: 3.5, flooding: 4.0 })
  // 額田 spike fault (2026-08-05 15:30, one sample of 0.00 m among −1.02 m). 水防団待機 at −0.50 m
  // would be crossed by the spike if it were believed.
  const spike = riverStation('nukada-spike', { observationStart: -0.8, standby: -0.5, caution: -0.2, evacuationJudgement: 0.3, danger: 0.6, flooding: 1.0 })

  let t: RiverTestApp
  beforeAll(async () => {
    t = await startRiverApp([nukada, ohashi, spike], {}, Date.parse('2024-08-26T00:00:00+09:00'))
  })
  afterAll(async () => { await t?.close() })

  const alertsFor = (stationId: string): Alert[] => t.app.alerts!.list({ subjectId: stationId, limit: 1000 }).reverse()
  const run = async (station: typeof nukada, file: string): Promise<ReplayResult> => {
    const points = readLevelCsv(join(RIVER, file))
    return await replayHydrograph({
      station: t.app.store!.getStation(station.id)!,
      points,
      mqttUrl: t.info.mqttUrl,
      logger: silentLogger(),
      clock: t.clock,
      // the gauge model measuring the interpolated record every 10 min (a demo replay, --resample)
      resample: true,
      intervalMs: TEN_MIN,
      settle: t.settle(station.id)
    })
  }

  it('typhoon at 額田: every threshold crossing alerts within one reporting interval; the forecast comes first', async () => {
    const file = 'kuji_nukada_2024-08-30_typhoon_hourly.csv'
    const points = readLevelCsv(join(RIVER, file))
    const result = await run(nukada, file)

    const alerts = alertsFor(nukada.id)
    const hysteresis = t.config.river.rules.hysteresisM
    const report: string[] = []
    let crossings = 0
    for (const key of ['standby', 'caution', 'evacuationJudgement', 'danger', 'flooding'] as const) {
      const threshold = nukada.thresholds[key]
      const expected = upwardCrossings(points, threshold, hysteresis)
      const fired = alerts.filter(a => a.rule === `threshold.${key}` && a.firedAt !== null)
      expect(fired.length, `alerts for ${key}`).toBe(expected.length)
      expected.forEach((crossing, i) => {
        const at = fired[i]!.firedAt!
        const delay = at - crossing
        // never later than one reporting interval after the crossing in data time, never earlier than
        // the rounding and noise of the gauge explain (earlyTolerance: the true level within NOISE_BAND_M of it)
        const early = earlyTolerance(points, crossing, threshold)
        expect(delay, `${key} crossing ${i + 1}`).toBeLessThanOrEqual(TEN_MIN)
        expect(delay, `${key} crossing ${i + 1} (early tolerance ${(early / MIN).toFixed(1)} min)`).toBeGreaterThanOrEqual(-early)
        report.push(`${key} ${threshold.toFixed(2)} m: crossed ${new Date(crossing).toISOString()}, alert ${new Date(at).toISOString()}, delay ${(delay / MIN).toFixed(1)} min (allowed −${(early / MIN).toFixed(1)} … +10 min)`)
        crossings++
      })
    }
    // five thresholds, 氾濫発生 twice (dip to 1.58 m), and 水防団待機 again in the second rain on 09-02
    expect(crossings).toBe(7)

    const forecast = alerts.find(a => a.rule === 'forecast.danger')
    expect(forecast).toBeDefined()
    const dangerCrossing = upwardCrossings(points, nukada.thresholds.danger, hysteresis)[0]!
    const lead = dangerCrossing - forecast!.firedAt!
    expect(lead).toBeGreaterThan(0)
    // the forecast is resolved as "reached" once the level gets there
    expect(forecast!.resolution).toBe('reached')
    const rate = alerts.find(a => a.rule === 'rateOfRise')
    console.log([
      `typhoon replay: ${result.frames} frames, ${(result.dataSpanMs / 86_400_000).toFixed(1)} days of data in ${(result.wallMs / 1000).toFixed(1)} s = ${Math.round(result.speedup)}× real time`,
      ...report,
      `forecast 氾濫危険 within 3 h: raised ${new Date(forecast!.firedAt!).toISOString()}, crossing ${new Date(dangerCrossing).toISOString()}, lead ${(lead / MIN).toFixed(0)} min`,
      `rate of rise ≥ 0.25 m/h: ${rate === undefined ? 'none' : new Date(rate.firedAt!).toISOString()}`
    ].join('\n'))

    // alerts clear once the water falls (hysteresis + 30 min dwell): at the end of the record
    // (−0.06 m, just under 水防団待機 for 20 min) only 水防団待機 is still open
    expect(alerts.filter(a => a.state !== 'resolved').map(a => a.rule)).toEqual(['threshold.standby'])
    expect(alerts.filter(a => a.rule === 'threshold.flooding').every(a => a.state === 'resolved' && a.resolvedBy === 'system')).toBe(true)
  })

  it('tidal week at 久慈大橋 raises no alert', async () => {
    const result = await run(ohashi, 'kuji_kujiohashi_2026-07-30_tidal_week_10min.csv')
    expect(result.frames).toBeGreaterThan(1000)
    const stored = await t.app.store!.readings(ohashi.id, { from: 0, to: Date.parse('2027-01-01'), limit: 10_000 })
    expect(stored.length).toBe(result.frames)
    expect(Math.max(...stored.map(r => r.level))).toBeGreaterThan(1.8) // high water did get above 観測開始
    console.log(`tidal replay: ${result.frames} frames, ${Math.round(result.speedup)}× real time, alerts: ${alertsFor(ohashi.id).length}`)
    expect(alertsFor(ohashi.id)).toEqual([])
  })

  it('spike fault at 額田: QC fails the 0.00 m sample and no alert is raised', async () => {
    await run(spike, 'kuji_nukada_2026-08-05_spike_fault_10min.csv')
    const at = Date.parse('2026-08-05T15:30:00+09:00')
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/${spike.id}/readings?from=${new Date(at - 20 * MIN).toISOString()}&to=${new Date(at + 20 * MIN).toISOString()}`)
    const body = await res.json() as { readings: Array<{ time: string, level: number, qc?: { flag: number, tests: Record<string, number> } }> }
    const bad = body.readings.find(r => r.time === new Date(at).toISOString())
    expect(bad?.level).toBeCloseTo(0, 1)
    expect(bad?.qc).toEqual({ flag: 4, tests: expect.objectContaining({ spike: 4 }) as unknown })
    expect(body.readings.filter(r => r.time !== new Date(at).toISOString()).every(r => r.qc?.flag === 1)).toBe(true)
    expect(alertsFor(spike.id)).toEqual([])
  })
})
