import { LEVEL_STATUSES, type LevelStatus, type Thresholds } from './types.js'

/** Which MLIT band a level falls into; a level equal to a threshold counts as reaching it. */
export function classifyLevel (level: number, t: Thresholds): LevelStatus {
  if (level >= t.flooding) return 'flooding'
  if (level >= t.danger) return 'danger'
  if (level >= t.evacuationJudgement) return 'evacuationJudgement'
  if (level >= t.caution) return 'caution'
  if (level >= t.standby) return 'standby'
  return 'normal'
}

export function severity (status: LevelStatus): number {
  return LEVEL_STATUSES.indexOf(status)
}

/** Thresholds must rise strictly, otherwise the bands above are empty and alerts never fire. */
export function thresholdOrderProblem (t: Thresholds): string | null {
  const order: Array<[string, number]> = [
    ['standby', t.standby], ['caution', t.caution], ['evacuationJudgement', t.evacuationJudgement],
    ['danger', t.danger], ['flooding', t.flooding]
  ]
  for (let i = 1; i < order.length; i++) {
    const prev = order[i - 1]!
    const cur = order[i]!
    if (!(cur[1] > prev[1])) return `${cur[0]} (${cur[1]}) must be above ${prev[0]} (${prev[1]})`
  }
  if (t.observationStart !== undefined && t.observationStart > t.caution) {
    return `observationStart (${t.observationStart}) must not be above caution (${t.caution})`
  }
  return null
}
