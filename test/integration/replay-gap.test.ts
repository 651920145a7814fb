import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StationConfig } from '../../core/config/schema.js'
import type { Alert } from '../../core/types.js'
import { simReplayCommand, type ReplaySummary } from '../../cli/replay.js'
import { SHARED, startTestApp, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'
import { riverStation } from '../helpers/river.js'

const RISE = join(SHARED, 'data', 'river', 'kuji_nukada_2026-08-12_rise_10min.csv')
const MIN = 60_000

/**
 * A replay with a 3-hour hole, through the real CLI, broker and ingest: the hole is
 * not filled (no frame is sent for it), the series API and the export show it as
 * 欠測, and the silent-station rule raises `silent` at the data time the hole began
 * + its limit, although the whole replay takes seconds of wall time.
 */
describe('replay with a 3-hour hole (../shared/data/river 額田 10-min, 2026-08-12)', () => {
  const station: StationConfig = { ...riverStation('gap-nukada', { observationStart: 2.0, standby: 2.5, caution: 3.0, evacuationJudgement: 3.5, danger: 4.0, flooding: 5.0 }), drill: true }
  let t: TestApp
  let dir: string
  let summary: ReplaySummary
  const holeFrom = Date.parse('2026-08-12T06:00:00+09:00')
  const holeTo = Date.parse('2026-08-12T09:00:00+09:00')

  beforeAll(async () => {
    t = await startTestApp({ stations: [station] })
    dir = mkdtempSync(join(tmpdir(), 'mimamori-gap-'))
    // one day of the record with the rows strictly inside 06:00–09:00 left out (written to tmp, never into the repo)
    const lines = readFileSync(RISE, 'utf8').trim().split('\n')
    const day = lines.slice(1).filter(l => {
      const time = Date.parse(l.split(',')[0]!)
      return time >= Date.parse('2026-08-12T00:00:00+09:00') && time <= Date.parse('2026-08-13T00:00:00+09:00') && !(time > holeFrom && time < holeTo)
    })
    expect(day).toHaveLength(145 - 17)
    const file = join(dir, 'hole.csv')
    writeFileSync(file, [lines[0], ...day].join('\n') + '\n')
    const config = join(dir, 'config.json')
    writeFileSync(config, JSON.stringify({ dataDir: t.dataDir, log: { level: 'silent' }, broker: { port: t.info.mqttPort }, stations: [station] }))
    const out: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true }) as typeof process.stdout.write
    try {
      expect(await simReplayCommand(['--file', file, '--station', station.id, '--speed', 'max', '--drill', '--json', '--config', config])).toBe(0)
    } finally {
      process.stdout.write = write
    }
    summary = JSON.parse(out.join('')) as ReplaySummary
  })
  afterAll(async () => {
    await t?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('sends the recorded rows only: the hole stays a hole', () => {
    expect(summary.resampled).toBe(false)
    expect(summary.frames).toBe(128)
    expect(summary.report?.readings).toBe(128)
    expect(summary.report?.gaps).toEqual([{ from: new Date(holeFrom).toISOString(), to: new Date(holeTo).toISOString(), minutes: 180 }])
    // the shift is stored with the run, so API times map back
    const runs = readFileSync(join(t.dataDir, 'replay-runs.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { shiftMs: number, station: string })
    expect(runs.at(-1)).toMatchObject({ station: station.id, shiftMs: summary.shiftMs })
  })

  it('the series API shows 欠測 for the hole (the station page shades it)', async () => {
    const from = new Date(Date.parse('2026-08-12T00:00:00+09:00') + summary.shiftMs).toISOString()
    const to = new Date(Date.parse('2026-08-13T00:00:00+09:00') + summary.shiftMs).toISOString()
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/${station.id}/series?from=${from}&to=${to}&points=500`)
    expect(res.status).toBe(200)
    const body = await res.json() as { gaps: Array<{ from: string, to: string }>, points: Array<{ time: string }> }
    expect(body.gaps).toEqual([{ from: new Date(holeFrom + summary.shiftMs).toISOString(), to: new Date(holeTo + summary.shiftMs).toISOString() }])
    // and no bucket inside the hole holds a reading
    expect(body.points.filter(p => Date.parse(p.time) > holeFrom + summary.shiftMs && Date.parse(p.time) + 10 * MIN <= holeTo + summary.shiftMs)).toHaveLength(0)
  })

  it('the export lists the hole as a gap (dataset events)', async () => {
    const from = new Date(Date.parse('2026-08-12T00:00:00+09:00') + summary.shiftMs).toISOString()
    const to = new Date(Date.parse('2026-08-13T00:00:00+09:00') + summary.shiftMs).toISOString()
    const res = await apiFetch(`${t.info.dashboardUrl}/api/export?dataset=events&format=csv&ids=${station.id}&from=${from}&to=${to}`)
    expect(res.status).toBe(200)
    const csv = await res.text()
    const rows = csv.trim().split('\n')
    expect(rows[0]).toContain('kind')
    const gaps = rows.filter(r => r.includes(',gap,'))
    expect(gaps).toHaveLength(1)
    expect(gaps[0]).toContain(',180,')
  })

  it('raises the silent-station alert in data time', async () => {
    const res = await apiFetch(`${t.info.dashboardUrl}/api/alerts?subjectId=${station.id}&limit=50`)
    const alerts = await res.json() as Array<Pick<Alert, 'rule' | 'state'> & { observedAt: string, lastSeenAt: string }>
    const silent = alerts.filter(a => a.rule === 'silent')
    expect(silent).toHaveLength(1)
    // 40 min after the last frame before the hole (a 10-min station: 3 missed reports, never under 40 min)
    expect(Date.parse(silent[0]!.observedAt) - summary.shiftMs).toBe(holeFrom + 40 * MIN)
    expect(silent[0]!.state).toBe('resolved') // the first frame after the hole clears it
    // nothing about the water: the record stays far below the thresholds
    expect(alerts.filter(a => a.rule !== 'silent')).toHaveLength(0)
  })
})
