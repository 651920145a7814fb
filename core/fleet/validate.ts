import type { Thresholds } from '../types.js'

/**
 * Field names in Japanese and English, so a validation error tells the 防災担当
 * which box to correct in either language (API error details, fleet page, CLI).
 */
export const FIELD_NAMES: Readonly<Record<string, { ja: string, en: string }>> = {
  id: { ja: '局ID', en: 'id' },
  name: { ja: '名称', en: 'name' },
  nameEn: { ja: '英語名称', en: 'English name' },
  river: { ja: '河川名', en: 'river' },
  lat: { ja: '緯度', en: 'latitude' },
  lon: { ja: '経度', en: 'longitude' },
  deviceId: { ja: '機器ID', en: 'device id' },
  datum: { ja: '零点高', en: 'gauge datum' },
  sensorHeight: { ja: 'センサー高', en: 'sensor height' },
  profile: { ja: 'データ形式', en: 'payload profile' },
  source: { ja: '値の出典', en: 'source of values' },
  validFrom: { ja: '適用開始日時', en: 'valid from' },
  observationStart: { ja: '観測開始水位', en: 'observation start level' },
  standby: { ja: '水防団待機水位', en: 'flood-fighting standby level' },
  caution: { ja: '氾濫注意水位', en: 'flood caution level' },
  evacuationJudgement: { ja: '避難判断水位', en: 'evacuation judgement level' },
  danger: { ja: '氾濫危険水位', en: 'flood danger level' },
  flooding: { ja: '氾濫発生水位', en: 'flooding (bank) level' },
  state: { ja: '状態', en: 'state' }
}

export interface FieldProblem {
  field: string
  ja: string
  en: string
}

/** "氾濫危険水位 (flood danger level): 避難判断水位より高くしてください / must be above the evacuation judgement level" */
export function problem (field: string, ja: string, en: string): FieldProblem {
  const n = FIELD_NAMES[field] ?? { ja: field, en: field }
  return { field, ja: `${n.ja}: ${ja}`, en: `${n.en}: ${en}` }
}

export function problemText (p: FieldProblem): string {
  return `${p.ja} / ${p.en}`
}

const ORDER: ReadonlyArray<keyof Omit<Thresholds, 'observationStart'>> = ['standby', 'caution', 'evacuationJudgement', 'danger', 'flooding']

/** The first thing wrong with a set of thresholds, or null. Levels must rise strictly; 観測開始水位 at or below 氾濫注意水位. */
export function thresholdProblem (t: Partial<Record<keyof Thresholds, unknown>>): FieldProblem | null {
  for (const key of ORDER) {
    const v = t[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) return problem(key, '数値を入力してください', 'a number is required')
    if (Math.abs(v) > 1000) return problem(key, '±1000 m の範囲で入力してください', 'must be within ±1000 m')
  }
  for (let i = 1; i < ORDER.length; i++) {
    const lower = ORDER[i - 1]!
    const key = ORDER[i]!
    if (!((t[key] as number) > (t[lower] as number))) {
      const n = FIELD_NAMES[lower]!
      return problem(key, `${n.ja}より高くしてください`, `must be above the ${n.en}`)
    }
  }
  const os = t.observationStart
  if (os !== undefined && os !== null) {
    if (typeof os !== 'number' || !Number.isFinite(os)) return problem('observationStart', '数値を入力してください', 'a number is required')
    if (os > (t.caution as number)) return problem('observationStart', '氾濫注意水位以下にしてください', 'must not be above the flood caution level')
  }
  return null
}
