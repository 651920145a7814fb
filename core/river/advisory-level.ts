import type { Thresholds } from '../types.js'
import { hoursToReach } from './trend.js'

export type AdvisoryLevel = 3 | 4 | 5

/** MLIT: 氾濫危険情報 (Lv4) when 氾濫危険水位 is expected within this many hours */
const FORECAST_HOURS = 3

/**
 * The advisory level the measurements suggest NOW (判断補助): from the current level
 * and trend, never from the highest level an event once reached — a river back
 * down from its peak does not call for 緊急安全確保. Lv5 at 氾濫発生; Lv4 at 氾濫危険水位
 * or when it is expected within 3 hours at the current rate; otherwise Lv3 (the
 * lowest the advisory dialog offers). A person decides; this only preselects.
 */
export function suggestAdvisoryLevel (level: number | null, rateMPerHour: number | null, t: Thresholds): AdvisoryLevel {
  if (level === null) return 3
  if (level >= t.flooding) return 5
  if (level >= t.danger) return 4
  const eta = hoursToReach(level, rateMPerHour, t.danger)
  if (eta !== null && eta <= FORECAST_HOURS && level >= t.evacuationJudgement) return 4
  return 3
}
