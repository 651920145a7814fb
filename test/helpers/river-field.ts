import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type DeepPartial } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import type { Alert, Reading, Station, Thresholds } from '../../core/types.js'
import { obstructionEpisodes, type ObstructionEpisode } from '../../core/river/episodes.js'
import { createEventBus } from '../../core/bus.js'
import { createAlerts } from '../../alerts/index.js'
import { checkSample, createQcState, qcSettings } from '../../ingest/qc/index.js'
import { createRiverRules, ruleSettings } from '../../ingest/rules/index.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import { readLevelCsv, type RecordedPoint } from '../../simulators/replay/index.js'
import { scoreRun, type Score } from '../../simulators/replay/score.js'
import { SHARED } from './app.js'

export const RIVER = join(SHARED, 'data', 'river')
const MIN = 60_000

export interface FieldPoint extends RecordedPoint { batteryV?: number | null }

/** a FloodNet raw file: level from a column expression, battery from batt_v; status-only uplinks left out */
export function readRaw (name: string, level: (raw: Record<string, string>) => number | null): FieldPoint[] {
  const lines = readFileSync(join(RIVER, name), 'utf8').trim().split('\n')
  const header = lines[0]!.split(',')
  const out: FieldPoint[] = []
  for (const line of lines.slice(1)) {
    const cells = line.split(',')
    const raw = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))
    const v = level(raw)
    if (v === null) continue
    out.push({ time: Date.parse(raw.time!), level: v, batteryV: raw.batt_v === '' || raw.batt_v === undefined ? null : Number(raw.batt_v) })
  }
  return out
}

export const readNormalised = (name: string): FieldPoint[] => readLevelCsv(join(RIVER, name))

/**
 * The record on a regular grid of `stepMs` without inventing water: each grid time
 * takes the newest observation at or before it that is less than `nativeMs` old
 * (hold: what a gauge polled faster would have reported; coarser: the observation at
 * the grid time, as MLIT hourly tables are). A missing observation stays missing.
 */
export function resample (points: readonly FieldPoint[], stepMs: number, nativeMs: number): FieldPoint[] {
  const out: FieldPoint[] = []
  if (points.length === 0) return out
  let i = 0
  const first = Math.ceil(points[0]!.time / stepMs) * stepMs
  for (let g = first; g <= points[points.length - 1]!.time; g += stepMs) {
    while (i + 1 < points.length && points[i + 1]!.time <= g) i++
    const p = points[i]!
    if (p.time <= g && g - p.time < nativeMs) out.push({ ...p, time: g })
  }
  return out
}

export interface FieldRun {
  readings: Reading[]
  alerts: Alert[]
  /** alerts about the water (thresholds, rate of rise, forecast); silent / sensorFault are station health */
  floodAlerts: Alert[]
  episodes: ObstructionEpisode[]
  score: Score
  settings: { sampleMs: number }
}

export function fieldStation (id: string, thresholds: Thresholds, extra: Partial<Station> = {}): Station {
  return { id, name: id, nameEn: id, river: 'test', lat: 36.5, lon: 140.5, deviceId: `${id}-g`, datum: 0, sensorHeight: 10, thresholds, drill: true, ...extra }
}

/**
 * QC and the river rules in-process over a record, in arrival order, as ingest
 * runs them (ingest/handlers/gauge.ts): the real QC, the real rules, the real
 * alert store (SQLite), no broker. Revisions are applied to the stored verdicts.
 */
export async function runField (station: Station, points: readonly FieldPoint[], sampleMs: number, overrides: DeepPartial<Config> = {}): Promise<FieldRun> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-field-'))
  const config = loadConfig({ overrides: { log: { level: 'silent' }, ...overrides } as DeepPartial<Config> })
  const store = createEmbeddedStore({ file: join(dir, 'db'), logger: silentLogger() })
  store.saveStations([station])
  const alerts = createAlerts({ file: join(dir, 'db'), outbox: null, logger: silentLogger() })
  let now = points[0]?.time ?? 0
  const rules = createRiverRules({ config, logger: silentLogger(), bus: createEventBus(), store, alerts, clock: () => now })
  try {
    await rules.start()
    const q = qcSettings(config, station)
    const state = createQcState()
    const readings: Reading[] = []
    const index = new Map<number, number>()
    for (const p of points) {
      now = p.time
      const res = checkSample(state, { time: p.time, receivedAt: p.time, level: p.level, batteryV: p.batteryV ?? null }, q)
      if (res.duplicate) continue
      const reading: Reading = { stationId: station.id, deviceId: station.deviceId, time: p.time, receivedAt: p.time, level: p.level, batteryV: p.batteryV ?? null, temperatureC: null, spreadMm: null, validPings: 1, totalPings: 1, deviceFlags: 0, seq: 0, qc: res.qc }
      index.set(p.time, readings.length)
      readings.push(reading)
      for (const rev of res.revisions) { const k = index.get(rev.time); if (k !== undefined) readings[k] = { ...readings[k]!, qc: rev.qc } }
      rules.process(reading)
    }
    const all = alerts.list({ subjectId: station.id, limit: 10_000 })
    const o = ruleSettings(config, station)
    const score = scoreRun(
      readings.map(r => ({ time: r.time, level: r.level, flag: r.qc?.flag ?? 1, tests: r.qc?.tests ?? {} })),
      all.map(a => ({ id: a.id, rule: a.rule, observedAt: a.observedAt, firedAt: a.firedAt })),
      { thresholds: station.thresholds, hysteresisM: o.hysteresisM, zeroLevel: o.zeroLevel, clearDwellMs: o.clearDwellMs, sampleMs }
    )
    return {
      readings,
      alerts: all,
      floodAlerts: all.filter(a => a.rule.startsWith('threshold.') || a.rule === 'rateOfRise' || a.rule.startsWith('forecast.')),
      episodes: obstructionEpisodes(readings, config.river.qc.obstructionQuietMinutes * MIN),
      score,
      settings: { sampleMs }
    }
  } finally {
    await rules.close()
    await alerts.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
