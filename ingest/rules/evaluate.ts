import type { Alerts } from '../../alerts/index.js'
import type { Reading, Station } from '../../core/types.js'
import { effectiveHysteresis } from '../../core/river/qc-limits.js'
import { stepCrossing, THRESHOLD_RULES } from '../../core/river/thresholds.js'
import { hoursToReach, trendSlope } from '../../core/river/trend.js'
import type { RuleSettings } from './settings.js'
import { refOf, signalOf, type StationState } from './state.js'

/** what every level alert also records (the thresholds in force when it fired) */
type Details = Record<string, unknown>
/** the record, or how to build it: built only when an alert is raised, not for every reading */
type Extra = Details | (() => Details)
const detailsOf = (extra: Extra): Details => typeof extra === 'function' ? extra() : extra

/** `threshold.<key>` per threshold, built once */
const RULE_NAMES: ReadonlyMap<string, string> = new Map(THRESHOLD_RULES.map(th => [th.key, `threshold.${th.key}`]))
/** stepCrossing's options for one threshold; one object reused (the step is synchronous) instead of a spread per threshold per reading */
const STEP = { hysteresisM: 0, raiseDwellMs: 0, clearDwellMs: 0 }

/** the five MLIT thresholds: crossing with hysteresis (never down to the sensor zero) and dwell */
function thresholds (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, x: number, time: number, extra: Extra): void {
  const t = station.thresholds
  for (const th of THRESHOLD_RULES) {
    const value = t[th.key]
    let cs = st.crossings.get(th.key)
    if (cs === undefined) {
      cs = { active: false, aboveSince: null, belowSince: null }
      st.crossings.set(th.key, cs)
    }
    STEP.hysteresisM = effectiveHysteresis(value, o.hysteresisM, o.zeroLevel)
    STEP.raiseDwellMs = o.raiseDwellMs
    STEP.clearDwellMs = o.clearDwellMs
    const step = stepCrossing(cs, x, time, value, STEP)
    const rule = RULE_NAMES.get(th.key)!
    // raised from a back-fill and still above with current data: raise again, now it is news (alerts/index.ts)
    const confirmsHistory = step === null && cs.active && !st.historicalNow && x >= value && st.historicalOpen.delete(rule)
    if (step === 'raise' || step === 'pending' || confirmsHistory) {
      if (st.historicalNow && step === 'raise') st.historicalOpen.add(rule)
      alerts.raise(signalOf(station, o, rule, {
        severity: th.severity,
        title: `${station.name}: ${th.ja} 到達 / ${station.nameEn}: ${th.en} reached`,
        message: `水位 ${x.toFixed(2)} m ≥ ${th.ja} ${value.toFixed(2)} m`,
        details: { level: x, threshold: value, thresholdName: th.key, readingTime: new Date(time).toISOString(), ...detailsOf(extra) },
        time
      }), { confirmed: step !== 'pending' })
    } else if (step === 'clear') {
      st.historicalOpen.delete(rule)
      alerts.clear(refOf(station, o, rule), { time })
    } else if (step === 'cancel') {
      alerts.clear(refOf(station, o, rule), { time, resolution: 'unconfirmed' })
    }
  }
}

/** rate of rise (急激な水位上昇), only once the river is at 観測開始水位 */
function rateOfRise (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, x: number, time: number, slope: number | null, extra: Extra): void {
  const rising = slope !== null && slope >= o.rateOfRiseMPerHour && x >= o.gateLevel
  if (rising && !st.rateActive) {
    st.rateActive = true
    alerts.raise(signalOf(station, o, 'rateOfRise', {
      severity: 'moderate',
      title: `${station.name}: 急激な水位上昇 / ${station.nameEn}: rapid rise`,
      message: `上昇速度 ${slope.toFixed(2)} m/h`,
      details: { level: x, slopeMPerHour: slope, limitMPerHour: o.rateOfRiseMPerHour, ...detailsOf(extra) },
      time
    }))
  } else if (st.rateActive && (slope === null || slope < o.rateOfRiseMPerHour / 2 || x < o.gateLevel - o.hysteresisM)) {
    st.rateActive = false
    alerts.clear(refOf(station, o, 'rateOfRise'), { time })
  }
}

/** forecast: MLIT issues 氾濫危険情報 when 氾濫危険水位 is expected within 3 hours */
function forecast (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, x: number, time: number, slope: number | null, extra: Extra): void {
  const danger = station.thresholds.danger
  const eta = hoursToReach(x, slope, danger)
  const etaMs = eta === null ? null : eta * 3_600_000
  if (etaMs !== null && etaMs <= o.forecastHorizonMs && x >= o.gateLevel && !st.forecastActive) {
    st.forecastActive = true
    alerts.raise(signalOf(station, o, 'forecast.danger', {
      severity: 'severe',
      title: `${station.name}: 3時間以内に氾濫危険水位到達の見込み / ${station.nameEn}: flood danger level expected within ${(o.forecastHorizonMs / 3_600_000).toFixed(0)} h`,
      message: `約${Math.round(etaMs / 60_000)}分後に ${danger.toFixed(2)} m 到達見込み (上昇 ${slope!.toFixed(2)} m/h)`,
      details: { level: x, target: danger, etaMinutes: Math.round(etaMs / 60_000), expectedAt: new Date(time + etaMs).toISOString(), slopeMPerHour: slope, ...detailsOf(extra) },
      time
    }))
  } else if (st.forecastActive) {
    if (x >= danger) {
      st.forecastActive = false
      alerts.clear(refOf(station, o, 'forecast.danger'), { time, resolution: 'reached' })
    } else if (etaMs === null || etaMs > o.forecastHorizonMs * 1.25) {
      st.forecastActive = false
      alerts.clear(refOf(station, o, 'forecast.danger'), { time })
    }
  }
}

/**
 * One trusted level through every level rule. The trend (rate of rise, forecast)
 * uses the last trendWindowMinutes, widened to trendMinReadings readings at slow
 * cadences, so hourly data have a trend after 3 hours, as 10-minute data after 1.
 */
export function evaluateLevel (alerts: Alerts, station: Station, o: RuleSettings, st: StationState, r: Pick<Reading, 'level' | 'time'>, extra: Extra = {}): void {
  const x = r.level
  thresholds(alerts, station, o, st, x, r.time, extra)
  st.trend.push({ time: r.time, level: x })
  const slope = trendSlope(st.trend, r.time, o.trend)
  rateOfRise(alerts, station, o, st, x, r.time, slope, extra)
  forecast(alerts, station, o, st, x, r.time, slope, extra)
  st.lastLevel = x
}
