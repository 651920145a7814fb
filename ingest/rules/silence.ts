import type { Alerts } from '../../alerts/index.js'
import type { Station } from '../../core/types.js'
import type { RuleSettings } from './settings.js'
import { refOf, signalOf, type StationState } from './state.js'

const KEEP_INTERVALS = 12

/** remembers the interval since the previous frame (data time) */
export function noteInterval (st: StationState, time: number): void {
  if (st.lastTime === null || time <= st.lastTime) return
  st.intervals.push(time - st.lastTime)
  if (st.intervals.length > KEEP_INTERVALS) st.intervals.shift()
}

/**
 * How long the station may stay quiet: 40 min above 観測開始水位, 25 h below (a
 * 監視-mode gauge reports on change and once a day). A station that reports on a
 * regular cadence below 観測開始水位 (where an adaptive gauge would not) (two thirds of its last intervals within 20 % of their median: fixed-interval
 * telemetry, a replay of a 10-min or hourly record) is also silent after
 * `silentMissedReports` of its own intervals, never before the 40 min.
 */
export function silenceLimitMs (st: StationState, o: RuleSettings): number {
  const base = st.lastLevel !== null && st.lastLevel >= o.gateLevel ? o.silentObserveMs : o.silentAfterMs
  const n = st.intervals.length
  if (n < 6) return base
  // once per reading: sorted in a scratch array, no copy, sort or filter allocated (KEEP_INTERVALS is small)
  const sorted = SCRATCH.length >= n ? SCRATCH : new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const v = st.intervals[i]!
    let j = i
    while (j > 0 && sorted[j - 1]! > v) { sorted[j] = sorted[j - 1]!; j-- }
    sorted[j] = v
  }
  const median = sorted[n >> 1]!
  // two thirds on the beat: a lost uplink now and then (FloodNet ~1 min) does not make a cadence irregular
  let onBeat = 0
  for (let i = 0; i < n; i++) if (Math.abs(st.intervals[i]! - median) <= median * 0.2) onBeat++
  const regular = onBeat * 3 >= n * 2
  // a regular reporter is judged by its own cadence (an hourly record is not "silent" after 40 min)
  return regular ? Math.min(o.silentAfterMs, Math.max(o.silentObserveMs, o.silentMissedReports * median)) : base
}

const SCRATCH = new Float64Array(KEEP_INTERVALS + 1)

function raiseSilent (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, at: number, limit: number): void {
  st.silentOpen = true
  const last = st.lastTime!
  alerts.raise(signalOf(station, o, 'silent', {
    severity: 'minor',
    title: `${station.name}: 観測局無応答 / ${station.nameEn}: station silent`,
    message: `最終受信 ${new Date(last).toISOString()}`,
    details: { lastReadingAt: new Date(last).toISOString(), silentMinutes: Math.round((at - last) / 60_000), limitMinutes: Math.round(limit / 60_000) },
    time: at
  }))
}

/**
 * The timer's check (wall clock, or a replay's data clock): raise `silent` for a
 * station quiet longer than its limit. `open`: whether its `silent` alert is open now
 * (read fresh by the caller for every station in one query: in cluster mode another
 * worker may have raised it).
 */
export function checkStationSilence (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, now: number, open: boolean): void {
  if (st.lastTime === null) return
  const limit = silenceLimitMs(st, o)
  st.silentOpen = open
  if (now - st.lastTime > limit && !st.silentOpen) raiseSilent(alerts, station, o, st, now, limit)
}

/**
 * Silence in DATA time, decided when the next frame arrives: a gap longer than the
 * limit was a silent station from lastTime + limit until this frame, whatever the
 * wall clock did meanwhile (a replay sends 3 hours of data time in seconds). The
 * alert carries those data times; the frame clears it.
 */
export function gapSilence (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, time: number, limit = silenceLimitMs(st, o)): void {
  if (st.lastTime === null || st.silentOpen) return
  if (time - st.lastTime > limit) raiseSilent(alerts, station, o, st, st.lastTime + limit, limit)
}
