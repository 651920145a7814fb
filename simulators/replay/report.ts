import type { Alert, Reading, Station } from '../../core/types.js'
import { THRESHOLD_RULES } from '../../core/river/thresholds.js'
import { findGaps } from '../../core/river/gaps.js'
import { obstructionEpisodes } from '../../core/river/episodes.js'
import type { RecordedPoint } from './csv.js'
import { upwardCrossings } from './hydrograph.js'
import { scoreRun } from './score.js'
import { round } from './numbers.js'

/**
 * What a replay showed, scored against the data (score.ts): crossings are
 * computed from the stored readings that PASS QC (a rejected spike is an
 * artefact, listed apart, never the crossing); every threshold alert no crossing
 * explains is a false alert; times are the data's own (the replay's shift is
 * taken off and stored here, so API times map back: data time = API time −
 * shiftMs), printed in the data's zone with JST beside.
 */
export interface ReplayReport {
  station: { id: string, name: string }
  file: string
  /** original data times (ISO) */
  from: string
  to: string
  /** the data's own UTC offset (+09:00, Z, -05:00) */
  zone: string
  /** what the replay added to every data time: data time = API/store time − shiftMs */
  shiftMs: number
  /** median interval of the stored readings, min */
  sampleMinutes: number
  points: number
  readings: number
  peak: { time: string, level: number } | null
  /** the record's own upward crossings (hysteresis only), descriptive */
  thresholds: Array<{ key: string, name: string, level: number, crossings: string[] }>
  alerts: Array<{ rule: string, severity: string, state: string, drill: boolean, title: string, dataTime: string, firedAt: string | null, acknowledgedBy: string | null }>
  /** each crossing in the QC-passing readings and the threshold alert that answered it */
  detection: Array<{ threshold: string, crossing: string, alertAt: string | null, delayMinutes: number | null, onTime: boolean }>
  /** each 氾濫危険 crossing and the forecast alert before it */
  forecast: Array<{ crossing: string, forecastAt: string | null, leadMinutes: number | null }>
  /** threshold alerts with no crossing in the passing readings */
  falseAlerts: Array<{ rule: string, dataTime: string }>
  /** QC-failed readings at or above the lowest threshold (spikes, echoes): what QC kept from alerting */
  artefacts: Array<{ time: string, level: number, tests: string[] }>
  /** 欠測: no frame between these data times */
  gaps: Array<{ from: string, to: string, minutes: number }>
  episodes: Array<{ kind: string, start: string, end: string, echoes: number, kept: number }>
  qc: { byFlag: Record<string, number>, byTest: Record<string, number> }
  summary: { crossings: number, detected: number, missed: number, onTime: number, maxDelayMinutes: number | null, medianDelayMinutes: number | null, falseAlerts: number, artefacts: number, gaps: number, episodes: number }
}

export interface ReportInput {
  station: Station
  file: string
  /** the replayed part of the record, original times */
  points: readonly RecordedPoint[]
  from: number
  to: number
  /** what the replay added to every data time */
  shiftMs: number
  /** the data's UTC offset for printing (default Z) */
  zone?: string
  /** stored readings of the replay window (shifted times) */
  readings: readonly Reading[]
  /** the station's alerts touched by the replay (shifted times) */
  alerts: readonly Alert[]
  hysteresisM: number
  zeroLevel?: number
  clearDwellMs?: number
  obstructionQuietMs?: number
}

const iso = (t: number): string => new Date(t).toISOString()
const MIN = 60_000

function median (xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function buildReport (i: ReportInput): ReplayReport {
  const pts = i.points.filter(p => p.time >= i.from && p.time <= i.to)
  const unshift = (t: number): number => t - i.shiftMs
  let peak: RecordedPoint | undefined
  for (const p of pts) if (peak === undefined || p.level > peak.level) peak = p
  const readings = i.readings.map(r => ({ ...r, time: unshift(r.time) })).sort((a, b) => a.time - b.time)
  const intervals = readings.slice(1).map((r, k) => r.time - readings[k]!.time)
  const sampleMs = median(intervals) ?? 10 * MIN
  const alerts = [...i.alerts].sort((a, b) => (a.firedAt ?? a.observedAt) - (b.firedAt ?? b.observedAt))
  const score = scoreRun(
    readings.map(r => ({ time: r.time, level: r.level, flag: r.qc?.flag ?? 1, tests: r.qc?.tests ?? {} })),
    alerts.map(a => ({ id: a.id, rule: a.rule, observedAt: unshift(a.observedAt), firedAt: a.firedAt === null ? null : unshift(a.firedAt) })),
    { thresholds: i.station.thresholds, hysteresisM: i.hysteresisM, zeroLevel: i.zeroLevel ?? Number.NEGATIVE_INFINITY, clearDwellMs: i.clearDwellMs ?? 30 * MIN, sampleMs }
  )
  const detection = score.crossings.map(c => ({ threshold: c.threshold, crossing: iso(c.time), alertAt: c.alertAt === null ? null : iso(c.alertAt), delayMinutes: c.delayMs === null ? null : round(c.delayMs / MIN, 1), onTime: c.onTime }))
  const byFlag: Record<string, number> = {}
  const byTest: Record<string, number> = {}
  for (const r of readings) {
    const flag = String(r.qc?.flag ?? 2)
    byFlag[flag] = (byFlag[flag] ?? 0) + 1
    for (const test of Object.keys(r.qc?.tests ?? {})) byTest[test] = (byTest[test] ?? 0) + 1
  }
  const delays = detection.flatMap(d => d.delayMinutes === null ? [] : [d.delayMinutes])
  const gaps = findGaps(readings.map(r => r.time)).map(g => ({ from: iso(g.from), to: iso(g.to), minutes: Math.round((g.to - g.from) / MIN) }))
  const episodes = obstructionEpisodes(readings, i.obstructionQuietMs).map(e => ({ kind: e.kind, start: iso(e.start), end: iso(e.end), echoes: e.echoes, kept: e.kept }))
  return {
    station: { id: i.station.id, name: i.station.name },
    file: i.file,
    from: iso(i.from),
    to: iso(i.to),
    zone: i.zone ?? 'Z',
    shiftMs: i.shiftMs,
    sampleMinutes: round(sampleMs / MIN, 1),
    points: pts.length,
    readings: readings.length,
    peak: peak === undefined ? null : { time: iso(peak.time), level: round(peak.level, 3) },
    thresholds: THRESHOLD_RULES.map(th => {
      const level = i.station.thresholds[th.key]
      return { key: th.key, name: th.ja, level, crossings: upwardCrossings(pts, level, i.hysteresisM).map(iso) }
    }),
    alerts: alerts.map(a => ({ rule: a.rule, severity: a.severity, state: a.state, drill: a.drill, title: a.title, dataTime: iso(unshift(a.observedAt)), firedAt: a.firedAt === null ? null : iso(unshift(a.firedAt)), acknowledgedBy: a.acknowledgedBy })),
    detection,
    forecast: score.forecast.map(f => ({ crossing: iso(f.crossing), forecastAt: f.forecastAt === null ? null : iso(f.forecastAt), leadMinutes: f.leadMs === null ? null : Math.round(f.leadMs / MIN) })),
    falseAlerts: score.falseAlerts.map(a => ({ rule: a.rule, dataTime: iso(a.observedAt) })),
    artefacts: score.artefacts.map(a => ({ time: iso(a.time), level: round(a.level, 3), tests: a.tests })),
    gaps,
    episodes,
    qc: { byFlag, byTest },
    summary: {
      crossings: detection.length,
      detected: delays.length,
      missed: detection.length - delays.length,
      onTime: detection.filter(d => d.onTime).length,
      maxDelayMinutes: delays.length === 0 ? null : Math.max(...delays),
      medianDelayMinutes: median(delays),
      falseAlerts: score.falseAlerts.length,
      artefacts: score.artefacts.length,
      gaps: gaps.length,
      episodes: episodes.length
    }
  }
}
