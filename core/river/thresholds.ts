import type { AlertSeverity, Thresholds } from '../types.js'

/** The five MLIT levels that raise alerts, lowest first, with how they are announced. */
export const THRESHOLD_RULES: ReadonlyArray<{ key: keyof Omit<Thresholds, 'observationStart'>, severity: AlertSeverity, ja: string, en: string }> = [
  { key: 'standby', severity: 'minor', ja: '水防団待機水位', en: 'flood-fighting standby level' },
  { key: 'caution', severity: 'moderate', ja: '氾濫注意水位 (レベル2)', en: 'flood caution level (Lv2)' },
  { key: 'evacuationJudgement', severity: 'severe', ja: '避難判断水位 (レベル3 高齢者等避難)', en: 'evacuation judgement level (Lv3)' },
  { key: 'danger', severity: 'extreme', ja: '氾濫危険水位 (レベル4 避難指示)', en: 'flood danger level (Lv4)' },
  { key: 'flooding', severity: 'extreme', ja: '氾濫発生 (レベル5 緊急安全確保)', en: 'flooding (Lv5)' }
]

/** State of one threshold at one station: crossing with hysteresis and minimum dwell. */
export interface CrossingState {
  active: boolean
  /** data time the level first stood at/above the threshold (raise dwell) */
  aboveSince: number | null
  /** data time the level first fell below threshold − hysteresis (clear dwell) */
  belowSince: number | null
}

export type CrossingStep = 'pending' | 'raise' | 'clear' | 'cancel' | null

/**
 * One trusted reading against one threshold. `raise` once the level has stood
 * at/above it for the raise dwell (`pending` while it has not yet); `clear` once
 * it has stayed below threshold − hysteresis for the clear dwell; `cancel` when
 * a pending crossing falls back before its dwell is served.
 */
export function stepCrossing (s: CrossingState, level: number, time: number, threshold: number, o: { hysteresisM: number, raiseDwellMs: number, clearDwellMs: number }): CrossingStep {
  if (!s.active) {
    if (level >= threshold) {
      s.aboveSince ??= time
      if (time - s.aboveSince >= o.raiseDwellMs) {
        s.active = true
        s.belowSince = null
        return 'raise'
      }
      return 'pending'
    }
    const wasPending = s.aboveSince !== null
    s.aboveSince = null
    return wasPending ? 'cancel' : null
  }
  if (level < threshold - o.hysteresisM) {
    s.belowSince ??= time
    if (time - s.belowSince >= o.clearDwellMs) {
      s.active = false
      s.aboveSince = null
      s.belowSince = null
      return 'clear'
    }
    return null
  }
  s.belowSince = null
  return null
}
