import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ReadingQc } from '../../core/types.js'
import { checkSample, createQcState, type QcSettings } from '../../ingest/qc/index.js'
import { readLevelCsv } from '../../simulators/replay/index.js'
import { SHARED } from '../helpers/app.js'

const RIVER = join(SHARED, 'data', 'river')

const defaults: QcSettings = {
  minLevel: Number.NEGATIVE_INFINITY,
  maxLevel: 5,
  // river gauge defaults (core/river/qc-limits.ts TYPE_DEFAULTS.river)
  noiseM: 0.1,
  maxRateMPerHour: 2,
  jumpM: 0.5,
  jumpRateMPerHour: 2,
  obstructionMaxMinutes: 60,
  echoToleranceM: 0.05,
  obstructionQuietMinutes: 60,
  flatLineMinutes: 720,
  flatLineMinReadings: 6,
  batterySuspectV: 3.3,
  batteryFailV: 3.0,
  lateAfterMs: 3_600_000
}

interface Row { time: number, level: number, batteryV: number | null }

/** Runs QC over a series as ingest would (in order, on arrival) and applies the revisions. */
function runQc (rows: Row[], settings: QcSettings): ReadingQc[] {
  const state = createQcState()
  const out: ReadingQc[] = []
  const index = new Map<number, number>()
  for (const r of rows) {
    const res = checkSample(state, { time: r.time, receivedAt: r.time, level: r.level, batteryV: r.batteryV }, settings)
    index.set(r.time, out.length)
    out.push(res.qc)
    for (const rev of res.revisions) out[index.get(rev.time)!] = rev.qc
  }
  return out
}

/** level from the normalised file, battery from the raw file of the same uplinks */
function floodnet (name: string, level: (raw: Record<string, string>) => number | null): Row[] {
  const lines = readFileSync(join(RIVER, name), 'utf8').trim().split('\n')
  const header = lines[0]!.split(',')
  const rows: Row[] = []
  for (const line of lines.slice(1)) {
    const cells = line.split(',')
    const raw = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))
    const v = level(raw)
    if (v === null) continue // status-only / empty uplinks carry no measurement
    rows.push({ time: Date.parse(raw.time!), level: v, batteryV: raw.batt_v === '' ? null : Number(raw.batt_v) })
  }
  return rows
}

describe('QC on the real fault windows (../shared/data/river)', () => {
  it('額田 spike: the isolated 0.00 m sample (2026-08-05 15:30) fails as a spike, nothing else is flagged', () => {
    const rows = readLevelCsv(join(RIVER, 'kuji_nukada_2026-08-05_spike_fault_10min.csv')).map(p => ({ ...p, batteryV: 3.6 }))
    const qc = runQc(rows, defaults)
    const flagged = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.qc.flag !== 1)
    expect(flagged).toHaveLength(1)
    expect(new Date(flagged[0]!.r.time).toISOString()).toBe('2026-08-05T06:30:00.000Z')
    expect(flagged[0]!.qc).toEqual({ flag: 4, tests: { spike: 4, rateOfChange: 3 } })
  })

  it('FloodNet early_still_frog: all 80 short-range (object under the sensor) readings and all 24 no-echo sentinels fail; no flood passes QC', () => {
    // depth_raw_mm / 1000 as the naive device reports it; ground truth (FloodNet processed depth) is 0 throughout.
    const rows = floodnet('floodnet_early-still-frog_2023-04-10_obstruction_fault_raw.csv', raw => raw.depth_raw_mm === '' ? null : Number(raw.depth_raw_mm) / 1000)
    expect(rows).toHaveLength(5156)
    // station tuning for a street sensor: the street surface is 0 m, a reading 30 cm below it is impossible
    const qc = runQc(rows, { ...defaults, minLevel: -0.3, maxLevel: 2.5 })
    const objects = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.r.level > 1.0)
    const sentinels = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.r.level < -2)
    expect(objects).toHaveLength(80)
    expect(sentinels).toHaveLength(24)
    // stated: every short-range reading is failed as obstruction (burst) or spike (single), every sentinel by gross range
    expect(objects.every(x => x.qc.flag === 4 && (x.qc.tests.obstruction === 4 || x.qc.tests.spike === 4))).toBe(true)
    expect(objects.filter(x => x.qc.tests.obstruction === 4).length).toBeGreaterThan(0)
    expect(sentinels.every(x => x.qc.flag === 4 && x.qc.tests.grossRange === 4)).toBe(true)
    // no reading above 10 cm of "water" is left passing or merely suspect: nothing could confirm a flood
    expect(rows.filter((r, i) => r.level > 0.1 && qc[i]!.flag !== 4)).toHaveLength(0)
    // the battery sag to 3.00 V is flagged as low battery
    const low = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.r.batteryV !== null && x.r.batteryV < 3.3)
    expect(low.length).toBeGreaterThan(0)
    expect(low.every(x => x.qc.tests.lowBattery !== undefined)).toBe(true)
    const ok = qc.filter(q => q.flag === 1).length
    console.log(`early_still_frog: ${rows.length} readings, ${objects.length} obstruction/spike failed, ${sentinels.length} sentinel failed, ${low.length} low battery, ${ok} pass`)
  })

  it('FloodNet easily_dear_mouse: readings after the battery collapse fail; before it they pass', () => {
    const rows = floodnet('floodnet_easily-dear-mouse_2023-03-29_battery_collapse_raw.csv', raw => raw.dist_mm === '' ? null : (1530 - Number(raw.dist_mm)) / 1000)
    const qc = runQc(rows, { ...defaults, minLevel: -0.5, maxLevel: 1.4 })
    const healthy = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.r.batteryV !== null && x.r.batteryV >= 3.3)
    const dying = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.r.batteryV !== null && x.r.batteryV < 3.0)
    expect(dying.length).toBeGreaterThan(100)
    // stated: below 3.0 V every reading fails (lowBattery 4), including the noisy wake-up on 04-12
    expect(dying.every(x => x.qc.flag === 4 && x.qc.tests.lowBattery === 4)).toBe(true)
    const wake = rows.map((r, i) => ({ r, qc: qc[i]! })).filter(x => x.r.time >= Date.parse('2023-04-12T19:00:00Z'))
    expect(wake.every(x => x.qc.flag >= 3)).toBe(true)
    // healthy period: almost everything passes (range noise of 2–3 cm is not a fault)
    expect(healthy.filter(x => x.qc.flag === 1).length / healthy.length).toBeGreaterThan(0.99)
    console.log(`easily_dear_mouse: ${rows.length} readings, ${dying.length} below 3.0 V failed, wake-up after 8 d 20 h silence: ${wake.length} readings all suspect/fail`)
  })

  it('flags late, out-of-order, flat-line and missing readings', () => {
    const state = createQcState()
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    const q = { ...defaults, flatLineMinutes: 60, flatLineMinReadings: 4 }
    expect(checkSample(state, { time: t0, receivedAt: t0 + 2 * 3_600_000, level: 1, batteryV: 3.6 }, q).qc).toEqual({ flag: 3, tests: { late: 3 } })
    for (let i = 1; i <= 6; i++) checkSample(state, { time: t0 + i * 600_000, receivedAt: t0 + i * 600_000, level: 1, batteryV: 3.6 }, q)
    expect(checkSample(state, { time: t0 + 7 * 600_000, receivedAt: t0 + 7 * 600_000, level: 1, batteryV: 3.6 }, q).qc.tests.flatLine).toBe(3)
    expect(checkSample(state, { time: t0 + 300_000, receivedAt: t0 + 8 * 600_000, level: 1.01, batteryV: 3.6 }, q).qc.tests.outOfOrder).toBe(3)
    expect(checkSample(state, { time: t0 + 8 * 600_000, receivedAt: t0 + 8 * 600_000, level: null, batteryV: 3.6 }, q).qc).toEqual({ flag: 9, tests: { missing: 9 } })
    // a repeated frame (same station + time) is recognised and leaves the state alone
    expect(checkSample(state, { time: t0 + 7 * 600_000, receivedAt: t0 + 7 * 600_000, level: 1, batteryV: 3.6 }, q).duplicate).toBe(true)
  })
})
