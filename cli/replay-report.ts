import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Config } from '../core/config/schema.js'
import { silentLogger } from '../core/logger.js'
import type { Alert, Reading } from '../core/types.js'
import { openAlertRepository } from '../alerts/repository.js'
import type { RecordedPoint } from '../simulators/replay/csv.js'
import { buildReport, type ReplayReport, type ReportInput } from '../simulators/replay/report.js'
import { hydrographSvg } from '../simulators/replay/svg.js'
import { ruleSettings } from '../ingest/rules/settings.js'
import { openStore } from './app.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export interface CollectOptions extends Pick<ReportInput, 'station' | 'file' | 'points' | 'from' | 'to' | 'shiftMs'> {
  config: Config
  /** frames sent: the platform is waited for until it stored as many (or stops storing) */
  frames: number
  /** shifted data times the frames carried */
  sentFrom: number
  sentTo: number
  /** give up waiting for the platform after this (default 20 s) */
  settleMs?: number
  /** the data's UTC offset (report times) */
  zone?: string
}

/**
 * Reads what the running platform made of a replay from its database (the
 * dataDir the CLI's configuration names, as `mimamori device` does): the stored
 * readings of the replayed window and the station's alerts the replay touched.
 */
export async function collectReport (o: CollectOptions): Promise<{ report: ReplayReport, readings: Reading[] }> {
  const store = openStore(o.config, silentLogger(), { drain: false })
  const alerts = openAlertRepository(resolve(o.config.dataDir, o.config.store.file), null)
  try {
    const window = { from: o.sentFrom, to: o.sentTo, limit: 100_000 }
    let readings: Reading[] = await store.readings(o.station.id, window)
    // the last frames may still be on their way through ingest; stop when all arrived or nothing changes for 2 s
    const deadline = Date.now() + (o.settleMs ?? 20_000)
    let same = 0
    while (readings.length < o.frames && Date.now() < deadline && same < 8) {
      await sleep(250)
      const next = await store.readings(o.station.id, window)
      same = next.length === readings.length ? same + 1 : 0
      readings = next
    }
    const touched: Alert[] = alerts.list({ subjectId: o.station.id, kind: 'river', limit: 10_000 })
      .filter(a => a.lastSeenAt >= o.sentFrom || a.updatedAt >= o.sentFrom)
    const rules = ruleSettings(o.config, o.station)
    const report = buildReport({
      station: o.station,
      file: o.file,
      points: o.points,
      from: o.from,
      to: o.to,
      shiftMs: o.shiftMs,
      readings,
      alerts: touched,
      zone: o.zone ?? 'Z',
      hysteresisM: rules.hysteresisM,
      zeroLevel: rules.zeroLevel,
      clearDwellMs: rules.clearDwellMs,
      obstructionQuietMs: o.config.river.qc.obstructionQuietMinutes * 60_000
    })
    return { report, readings }
  } finally {
    alerts.close()
    await store.close()
  }
}

/**
 * The run, with the time shift it applied, appended to dataDir/replay-runs.jsonl:
 * the API and the store hold shifted times, and this is how they map back
 * (data time = stored time − shiftMs).
 */
export function recordRun (config: Config, run: { station: string, file: string, startedAt: number, shiftMs: number, dataFrom: string, dataTo: string, sentFrom: string, sentTo: string, frames: number, resampled: boolean }): string {
  const file = resolve(config.dataDir, 'replay-runs.jsonl')
  mkdirSync(dirname(file), { recursive: true })
  appendFileSync(file, JSON.stringify({ ...run, startedAt: new Date(run.startedAt).toISOString(), mapBack: 'data time = API time − shiftMs' }) + '\n')
  return file
}

/** PREFIX.json and PREFIX.svg */
export function writeReportFiles (prefix: string, report: ReplayReport, points: readonly RecordedPoint[], readings: readonly Reading[], shiftMs: number): { json: string, svg: string } {
  const json = resolve(`${prefix}.json`)
  const svg = resolve(`${prefix}.svg`)
  mkdirSync(dirname(json), { recursive: true })
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(svg, hydrographSvg(report, points, readings.map(r => ({ time: r.time - shiftMs, level: r.level, flag: r.qc?.flag ?? 2 }))))
  return { json, svg }
}
