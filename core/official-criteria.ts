import { MimamoriError } from './errors.js'
import { LEVEL_STATUSES, type LevelStatus } from './types.js'

/**
 * 判断補助 criteria (避難情報に関するガイドライン, 内閣府 2021): which observation or JMA product makes
 * the system suggest which 警戒レベル for an area. Shared by the official/ service (evaluation) and the
 * dashboard (admins edit them; staff see the suggestion). The suggestion is advice: people decide.
 */
export type SuggestLevel = 3 | 4 | 5

export type CriterionSource =
  /** one of the area's gauges (ours or a reference gauge) at or above this band (core/levels.ts) */
  | { kind: 'gauge', band: LevelStatus, reference?: boolean | undefined }
  /** 指定河川洪水予報 for one of the area's 予報区域 at or above this level (3 氾濫警戒, 4 氾濫危険, 5 氾濫発生) */
  | { kind: 'flood', minLevel: number }
  /** 土砂災害警戒情報 in force for the area */
  | { kind: 'landslide' }
  /** a 気象警報・注意報 kind in force for the area, by code (33 大雨特別警報, 04 洪水警報 …) */
  | { kind: 'warning', code: string }

export interface Criterion { level: SuggestLevel, source: CriterionSource }
export interface AreaCriteria { areaCode: string, criteria: Criterion[] }

export const SUGGEST_NAMES_JA: Record<SuggestLevel, string> = { 3: '高齢者等避難', 4: '避難指示', 5: '緊急安全確保' }

/** the guideline's criteria, pre-filled for every area until an admin edits them */
export const GUIDELINE_CRITERIA: Criterion[] = [
  { level: 3, source: { kind: 'gauge', band: 'evacuationJudgement' } }, // 避難判断水位
  { level: 3, source: { kind: 'gauge', band: 'evacuationJudgement', reference: true } },
  { level: 3, source: { kind: 'flood', minLevel: 3 } }, // 氾濫警戒情報
  { level: 4, source: { kind: 'gauge', band: 'danger' } }, // 氾濫危険水位
  { level: 4, source: { kind: 'gauge', band: 'danger', reference: true } },
  { level: 4, source: { kind: 'flood', minLevel: 4 } }, // 氾濫危険情報
  { level: 4, source: { kind: 'landslide' } }, // 土砂災害警戒情報
  { level: 5, source: { kind: 'flood', minLevel: 5 } }, // 氾濫発生情報
  { level: 5, source: { kind: 'warning', code: '33' } } // 大雨特別警報
]

/** checks an edited criteria list; throws MIMAMORI_ERR_OFFICIAL_CRITERIA with what is wrong */
export function validateCriteria (input: unknown): Criterion[] {
  const bad = (why: string): never => { throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_CRITERIA', why) }
  if (!Array.isArray(input)) return bad('criteria must be a list')
  if (input.length > 100) bad('at most 100 criteria per area')
  return input.map((c: unknown, i): Criterion => {
    const o = c as { level?: unknown, source?: Record<string, unknown> }
    if (o === null || typeof o !== 'object') return bad(`criterion ${i} is not an object`)
    if (o.level !== 3 && o.level !== 4 && o.level !== 5) return bad(`criterion ${i}: level must be 3, 4 or 5`)
    const s = o.source
    if (s === null || typeof s !== 'object') return bad(`criterion ${i}: source missing`)
    switch (s.kind) {
      case 'gauge':
        if (!LEVEL_STATUSES.includes(s.band as LevelStatus) || s.band === 'normal') bad(`criterion ${i}: band must be one of ${LEVEL_STATUSES.slice(1).join(', ')}`)
        return { level: o.level, source: { kind: 'gauge', band: s.band as LevelStatus, ...(s.reference === true ? { reference: true } : {}) } }
      case 'flood':
        if (typeof s.minLevel !== 'number' || ![2, 3, 4, 5].includes(s.minLevel)) bad(`criterion ${i}: minLevel must be 2–5`)
        return { level: o.level, source: { kind: 'flood', minLevel: s.minLevel as number } }
      case 'landslide':
        return { level: o.level, source: { kind: 'landslide' } }
      case 'warning':
        if (typeof s.code !== 'string' || !/^[0-9]{2}$/.test(s.code)) bad(`criterion ${i}: warning code must be two digits`)
        return { level: o.level, source: { kind: 'warning', code: s.code as string } }
      default:
        return bad(`criterion ${i}: unknown source kind ${String(s.kind)}`)
    }
  })
}

/** One reason behind a suggestion: which gauge or telegram, since when. */
export interface SuggestionReason {
  level: SuggestLevel
  kind: CriterionSource['kind'] | 'reference'
  /** station id, 予報区域 or area code */
  subject: string
  /** Japanese, for staff: 「赤川 熊出 氾濫危険水位 (2.31 m)」「指定河川洪水予報 ○○川上流氾濫危険情報」 */
  text: string
  since: number
  telegramId?: string | undefined
}

/** What the system suggests for one area now; level 0 = nothing reached. */
export interface Suggestion {
  areaCode: string
  areaName: string
  level: 0 | SuggestLevel
  since: number | null
  reasons: SuggestionReason[]
  evaluatedAt: number
}
