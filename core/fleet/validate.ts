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

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isText = (v: unknown, max = 200): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= max

/** The fields every device placed on the map has (id, names, position). */
function placeProblem (x: Record<string, unknown>): FieldProblem | null {
  if (typeof x.id !== 'string' || !ID.test(x.id)) return problem('id', '英数字と . _ - で64文字以内にしてください', 'letters, digits, . _ - (at most 64)')
  if (!isText(x.name)) return problem('name', '入力してください', 'is required')
  if (!isText(x.nameEn)) return problem('nameEn', '入力してください', 'is required')
  if (!isNum(x.lat) || x.lat < -90 || x.lat > 90) return problem('lat', '-90〜90 の数値にしてください (地図をクリック)', 'must be −90…90 (click the map)')
  if (!isNum(x.lon) || x.lon < -180 || x.lon > 180) return problem('lon', '-180〜180 の数値にしてください (地図をクリック)', 'must be −180…180 (click the map)')
  return null
}

/** A gauge to commission (fleet page, `mimamori fleet import`): the first problem, or null. */
export function stationProblem (x: Record<string, unknown>): FieldProblem | null {
  const p = placeProblem(x)
  if (p !== null) return p
  if (!isText(x.river)) return problem('river', '入力してください', 'is required')
  if (typeof x.deviceId !== 'string' || !ID.test(x.deviceId)) return problem('deviceId', '英数字と . _ - で64文字以内にしてください', 'letters, digits, . _ - (at most 64)')
  if (!isNum(x.datum)) return problem('datum', '数値を入力してください', 'a number is required')
  if (!isNum(x.sensorHeight) || x.sensorHeight <= 0) return problem('sensorHeight', '0 より大きい数値にしてください', 'must be a number above 0')
  if (x.profile !== undefined && !isText(x.profile, 100)) return problem('profile', '選択してください', 'choose one')
  const t = x.thresholds
  if (t === null || typeof t !== 'object') return problem('caution', '数値を入力してください', 'a number is required')
  return thresholdProblem(t as Record<string, unknown>)
}

/** A camera to commission: ours (MQTT) or a bought trail camera (e-mail / upload). */
export function cameraProblem (x: Record<string, unknown>): FieldProblem | null {
  return placeProblem(x)
}
