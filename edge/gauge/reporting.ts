import type { FrameType, GaugeDownlinkData, GaugeMode } from '../../codecs/gauge-v1.js'

/**
 * Adaptive reporting of a gauge (docs/gauge.md):
 *  - 監視 watch (calm): measure every `watchSampleMin`, report only on a
 *    significant change or the daily heartbeat;
 *  - 観測 observe: above 観測開始水位 or on a fast rise, report every
 *    `observeIntervalMin` (10 min, configurable down to 1);
 *  - back to watch only when the level is `hysteresisM` below 観測開始水位,
 *    not rising fast, for `calmDwellMin` (no flapping at the threshold);
 *  - 保守 maintenance (by downlink only): heartbeats, no other reports.
 * A downlink `mode` pins that mode (observe / maintenance) until a downlink
 * `mode: watch` hands control back to the automatic rules above.
 */
export interface ReportingSettings {
  /** 観測開始水位, m on the gauge datum */
  observationStartM: number
  hysteresisM: number
  /** minutes between reports in 観測 mode (1..255) */
  observeIntervalMin: number
  /** minutes between measurements in 監視 mode */
  watchSampleMin: number
  /** hours between heartbeats in 監視 mode */
  heartbeatHours: number
  /** 監視 mode: report when the level moved this much since the last report, m */
  changeM: number
  /** rise rate that switches to 観測 mode, m/h */
  fastRiseMPerHour: number
  /** window over which the rise rate is measured, min */
  riseWindowMin: number
  /** time calm before leaving 観測 mode, min */
  calmDwellMin: number
}

export const DEFAULT_REPORTING: Omit<ReportingSettings, 'observationStartM'> = {
  hysteresisM: 0.1,
  observeIntervalMin: 10,
  watchSampleMin: 10,
  heartbeatHours: 24,
  changeM: 0.1,
  fastRiseMPerHour: 0.3,
  riseWindowMin: 30,
  calmDwellMin: 60
}

export type ReportReason = 'boot' | 'heartbeat' | 'change' | 'observe' | 'mode-change' | 'sensor-error'

export interface Decision {
  report: boolean
  mode: GaugeMode
  type: FrameType
  reason?: ReportReason
  /** when the device should wake up to measure next (ms since epoch) */
  nextMeasurementAt: number
}

export interface ReportingPolicy {
  /** feed one measurement (level null = no valid echo); returns whether to send and in which mode */
  onMeasurement(time: number, levelM: number | null): Decision
  /** a decoded downlink; returns the settings now in force */
  applyDownlink(d: GaugeDownlinkData): Readonly<ReportingSettings>
  readonly mode: GaugeMode
  readonly settings: Readonly<ReportingSettings>
  /** uplinks decided so far, by reason */
  readonly counts: Readonly<Record<ReportReason, number>>
}

const MINUTE = 60_000

export function createReportingPolicy (init: Partial<ReportingSettings> & { observationStartM: number }): ReportingPolicy {
  const s: ReportingSettings = { ...DEFAULT_REPORTING, ...init }
  validate(s)
  let mode: GaugeMode = 'watch'
  let pinned: GaugeMode | null = null
  let lastReport: { time: number, level: number | null } | null = null
  let calmSince: number | null = null
  let modeChangedByDownlink = false
  const history: Array<{ time: number, level: number }> = []
  const counts: Record<ReportReason, number> = { boot: 0, heartbeat: 0, change: 0, observe: 0, 'mode-change': 0, 'sensor-error': 0 }

  function riseRate (time: number): number {
    while (history.length > 0 && history[0]!.time < time - s.riseWindowMin * MINUTE) history.shift()
    if (history.length < 2) return 0
    const first = history[0]!
    const last = history[history.length - 1]!
    const hours = (last.time - first.time) / 3_600_000
    // needs half a window of data, or a single noisy pair would look like a flood
    if (hours * 60 < s.riseWindowMin / 2) return 0
    return (last.level - first.level) / hours
  }

  function automaticMode (time: number, level: number | null, rate: number): GaugeMode {
    const high = level !== null && level >= s.observationStartM
    const fast = rate >= s.fastRiseMPerHour
    if (mode !== 'observe') {
      if (high || fast) { calmSince = null; return 'observe' }
      return 'watch'
    }
    const calm = level !== null && level < s.observationStartM - s.hysteresisM && rate < s.fastRiseMPerHour / 2
    if (!calm) { calmSince = null; return 'observe' }
    calmSince ??= time
    return time - calmSince >= s.calmDwellMin * MINUTE ? 'watch' : 'observe'
  }

  const policy: ReportingPolicy = {
    get mode () { return mode },
    settings: s,
    counts,
    onMeasurement (time, level) {
      if (level !== null) history.push({ time, level })
      const rate = riseRate(time)
      const previousMode = mode
      mode = pinned ?? automaticMode(time, level, rate)
      let reason: ReportReason | undefined
      if (lastReport === null) reason = 'boot'
      else if (mode !== previousMode || modeChangedByDownlink) reason = 'mode-change'
      else if (mode === 'observe') {
        if (time - lastReport.time >= s.observeIntervalMin * MINUTE - MINUTE / 2) reason = 'observe'
      } else if (time - lastReport.time >= s.heartbeatHours * 3_600_000 - MINUTE / 2) reason = 'heartbeat'
      else if (mode === 'watch') {
        if (level === null && lastReport.level !== null) reason = 'sensor-error'
        else if (level !== null && (lastReport.level === null || Math.abs(level - lastReport.level) >= s.changeM - 1e-9)) reason = 'change'
      }
      modeChangedByDownlink = false
      const interval = mode === 'observe' ? s.observeIntervalMin : s.watchSampleMin
      const decision: Decision = {
        report: reason !== undefined,
        mode,
        type: reason === 'boot' ? 'boot' : reason === 'heartbeat' ? 'heartbeat' : 'measurement',
        nextMeasurementAt: time + interval * MINUTE
      }
      if (reason !== undefined) {
        decision.reason = reason
        counts[reason]++
        lastReport = { time, level }
      }
      return decision
    },
    applyDownlink (d) {
      const next = { ...s }
      if (d.observeIntervalMin !== undefined) next.observeIntervalMin = d.observeIntervalMin
      if (d.heartbeatHours !== undefined) next.heartbeatHours = d.heartbeatHours
      if (d.observationStartM !== undefined) next.observationStartM = d.observationStartM
      validate(next)
      Object.assign(s, next)
      if (d.mode !== undefined) {
        pinned = d.mode === 'watch' ? null : d.mode
        if (pinned !== null && pinned !== mode) { mode = pinned; modeChangedByDownlink = true }
        calmSince = null
      }
      return s
    }
  }
  return policy
}

function validate (s: ReportingSettings): void {
  if (!Number.isInteger(s.observeIntervalMin) || s.observeIntervalMin < 1 || s.observeIntervalMin > 255) throw new RangeError('observeIntervalMin must be an integer 1..255')
  if (!Number.isInteger(s.heartbeatHours) || s.heartbeatHours < 1 || s.heartbeatHours > 255) throw new RangeError('heartbeatHours must be an integer 1..255')
  if (!(s.watchSampleMin >= 1)) throw new RangeError('watchSampleMin must be ≥ 1')
  if (!(s.hysteresisM >= 0) || !(s.changeM > 0) || !(s.fastRiseMPerHour > 0)) throw new RangeError('hysteresisM ≥ 0, changeM > 0 and fastRiseMPerHour > 0 are required')
  if (!Number.isFinite(s.observationStartM)) throw new RangeError('observationStartM must be a number')
}
