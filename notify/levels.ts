import type { Alert, AlertSeverity } from '../core/types.js'

/** River rule → MLIT 警戒レベル. 氾濫危険情報 (forecast within 3 h) is a Lv4 相当 announcement. */
const RULE_LEVEL: Record<string, number> = {
  'threshold.caution': 2,
  'threshold.evacuationJudgement': 3,
  'threshold.danger': 4,
  'forecast.danger': 4,
  'threshold.flooding': 5
}

export function mlitLevel (alert: Pick<Alert, 'kind' | 'rule'>): number | null {
  return alert.kind === 'river' ? RULE_LEVEL[alert.rule] ?? null : null
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { minor: 0, moderate: 1, severe: 2, extreme: 3 }

export function severityRank (s: AlertSeverity): number {
  return SEVERITY_RANK[s]
}

/**
 * "Lv N or worse" for any alert: river alerts by their MLIT level; alerts without one
 * by severity (severe ≈ Lv3, extreme ≈ Lv4), so quiet hours and escalation treat
 * a non-river emergency like a river one.
 */
export function atLeastLevel (alert: Pick<Alert, 'kind' | 'rule' | 'severity'>, level: number): boolean {
  const l = mlitLevel(alert)
  if (l !== null) return l >= level
  return severityRank(alert.severity) + 1 >= level
}

export const ADVISORY_NAMES: Record<3 | 4 | 5, { ja: string, en: string }> = {
  3: { ja: '高齢者等避難', en: 'Evacuation of the elderly and others' },
  4: { ja: '避難指示', en: 'Evacuation order' },
  5: { ja: '緊急安全確保', en: 'Emergency safety measures' }
}
