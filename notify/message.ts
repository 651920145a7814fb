import { announcedAt } from '../alerts/index.js'
import { CONFIDENCE_JA, confidenceOf } from '../core/confidence.js'
import type { Alert, Station } from '../core/types.js'
import { ADVISORY_NAMES, mlitLevel } from './levels.js'
import type { Advisory, NotifyKind } from './types.js'

export const DRILL_MARK = '【訓練】'

export interface Wording { title: string, body: string, url: string, tag: string }

export interface WordingContext {
  publicUrl: string
  timezone: string
  /** how people call the alert's subject (「内川・大泉橋観測所」, 「湯田川 果樹園カメラ」); default: from the title */
  subjectName?: ((alert: Alert) => string | undefined) | undefined
}

/** e.g. 12月5日 17:42 — the local time people read on a phone (notify.timezone, JST by default) */
export function localTime (ms: number, timezone: string): string {
  // assembled from parts: ICU builds differ on whether ja-JP month/day reads 12/5 or 12月5日
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(ms)
  const part = (type: string): string => parts.find(p => p.type === type)?.value ?? ''
  return `${part('month')}月${part('day')}日 ${part('hour')}:${part('minute')}`
}

/** 「12月5日 17:42（日本時間）」 where the zone is Japan's, else the zone's name */
export function localTimeLabelled (ms: number, timezone: string): string {
  return `${localTime(ms, timezone)}（${timezone === 'Asia/Tokyo' ? '日本時間' : timezone}）`
}

const STATE_JA: Partial<Record<NotifyKind, string>> = {
  'alert.firing': '発表',
  'alert.severity': '引き上げ',
  'alert.acknowledged': '対応中',
  'alert.resolved': '解除',
  'alert.escalated': '未対応・再通知'
}

/** what happened, in the words of a municipal notice (the rule, not the English title) */
const RULE_JA: Record<string, string> = {
  'threshold.standby': '水防団待機水位に到達',
  'threshold.caution': '氾濫注意水位に到達',
  'threshold.evacuationJudgement': '避難判断水位に到達',
  'threshold.danger': '氾濫危険水位に到達',
  'threshold.flooding': '氾濫発生',
  rateOfRise: '急激な水位上昇',
  'forecast.danger': '3時間以内に氾濫危険水位に達する見込み',
  silent: '観測局からの受信が途絶えています',
  sensorFault: 'センサー異常（欠測）',
  sighting: 'サル出没'
}

/** why an alert ended, as staff and hunters read it (never the code word 'manual') */
function resolutionJa (alert: Alert): string {
  const by = alert.resolvedBy !== null && alert.resolvedBy !== 'system' ? alert.resolvedBy : null
  switch (alert.resolution) {
    case null:
    case 'manual': return by === null ? '担当者が解除しました' : `${by} が解除しました`
    case 'cleared': return alert.kind === 'river' ? '水位が基準を下回ったため、自動で解除しました' : '状況が収まったため、自動で解除しました'
    case 'unconfirmed': return '続く観測で確認されなかったため、取り消しました'
    case 'reached': return '氾濫危険水位に達したため、見込みの通知を終えました'
    default: return by === null ? `解除しました（${halfToFull(alert.resolution)}）` : `${by} が解除しました（${halfToFull(alert.resolution)}）`
  }
}

/** 「内川 (大泉橋)」 → 「内川（大泉橋）」: Japanese text takes full-width brackets */
export function halfToFull (s: string): string {
  return s.replace(/\s*\(([^()]*)\)/g, '（$1）')
}

/** the Japanese half of a 「日本語 / English」 title */
export function japanesePart (title: string): string {
  return title.split(' / ')[0]!.trim()
}

function subjectOf (alert: Alert, ctx: WordingContext): string {
  const named = ctx.subjectName?.(alert)
  if (named !== undefined && named !== '') return named
  const ja = japanesePart(alert.title)
  const colon = ja.indexOf(': ')
  return halfToFull(colon > 0 ? ja.slice(0, colon) : alert.subjectId)
}

function what (alert: Alert): string {
  return RULE_JA[alert.rule] ?? (() => {
    const ja = japanesePart(alert.title)
    const colon = ja.indexOf(': ')
    return halfToFull(colon > 0 ? ja.slice(colon + 2) : ja)
  })()
}

const m = (v: unknown): string | null => typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(2)} m` : null

/** the figure that matters for the rule, in Japanese, from the alert's details */
function detailLine (alert: Alert, tz: string): string | null {
  const d = alert.details
  if (alert.kind === 'wildlife') {
    const score = typeof d.score === 'number' ? d.score : 0
    return `信頼度: ${CONFIDENCE_JA[confidenceOf(score)]}`
  }
  if (alert.rule.startsWith('threshold.') && m(d.level) !== null) {
    return m(d.threshold) === null ? `到達時の水位 ${m(d.level)!}` : `到達時の水位 ${m(d.level)!}（基準 ${m(d.threshold)!}）`
  }
  if (alert.rule === 'rateOfRise' && typeof d.slopeMPerHour === 'number') {
    return `上昇速度 1時間あたり ${Math.max(0, d.slopeMPerHour).toFixed(2)} m${m(d.level) === null ? '' : `、検知時の水位 ${m(d.level)!}`}`
  }
  if (alert.rule === 'forecast.danger' && typeof d.expectedAt === 'string') {
    return `${localTime(Date.parse(d.expectedAt), tz)} 頃に氾濫危険水位${m(d.target) === null ? '' : `（${m(d.target)!}）`}に達する見込み`
  }
  if (alert.rule === 'silent' && typeof d.lastReadingAt === 'string') return `最終受信 ${localTime(Date.parse(d.lastReadingAt), tz)}`
  return alert.message === '' ? null : halfToFull(alert.message)
}

/**
 * Title and body of an alert message, in Japanese (staff and hunters; the public
 * get advisories, not raw alerts): 【発表】内川・大泉橋観測所: 避難判断水位に到達（警戒レベル3相当）.
 * Times in notify.timezone (JST), 【訓練】 on every drill.
 */
export function alertWording (kind: NotifyKind, alert: Alert, ctx: WordingContext, extra: { step?: number | null, rotaName?: string | null } = {}): Wording {
  const mark = alert.drill ? DRILL_MARK : ''
  const state = STATE_JA[kind] ?? '更新'
  const level = mlitLevel(alert)
  const subject = subjectOf(alert, ctx)
  const lines: string[] = []
  if (alert.drill) lines.push('これは訓練です。')
  if (kind === 'alert.escalated') {
    lines.push(`${extra.step ?? 1}段目の連絡です${extra.rotaName == null || extra.rotaName === '' ? '' : `（${extra.rotaName}）`}。${localTime(announcedAt(alert), ctx.timezone)} から、まだ誰も対応していません。`)
  }
  lines.push(`${subject}: ${what(alert)}${level === null ? '' : `（警戒レベル${level}相当）`}`)
  const detail = detailLine(alert, ctx.timezone)
  if (detail !== null) lines.push(detail)
  lines.push(`観測時刻 ${localTimeLabelled(alert.observedAt, ctx.timezone)}`)
  if (kind === 'alert.acknowledged' && alert.acknowledgedBy !== null) lines.push(`対応者: ${alert.acknowledgedBy}`)
  if (kind === 'alert.resolved') lines.push(`解除の理由: ${resolutionJa(alert)}`)
  const sightingId = typeof alert.details.sightingId === 'string' ? alert.details.sightingId : null
  const url = alert.kind === 'wildlife' && sightingId !== null
    ? `${ctx.publicUrl}/hunter.html?alert=${encodeURIComponent(alert.id)}&sighting=${encodeURIComponent(sightingId)}`
    : `${ctx.publicUrl}/?alert=${encodeURIComponent(alert.id)}`
  lines.push(url)
  return {
    title: `${mark}【${state}】${subject}: ${what(alert)}${level === null ? '' : `（警戒レベル${level}相当）`}`,
    body: lines.join('\n'),
    url,
    tag: `alert-${alert.id}`
  }
}

const ADVISORY_ACTION: Record<'advisory.issued' | 'advisory.updated' | 'advisory.cancelled', [string, string]> = {
  'advisory.issued': ['発令', 'issued'],
  'advisory.updated': ['更新', 'updated'],
  'advisory.cancelled': ['解除', 'cancelled']
}

/**
 * An advisory (避難情報) as the public reads it: Japanese title and text; the body
 * ends with one English sentence for foreign residents (the title stays Japanese).
 */
export function advisoryWording (kind: 'advisory.issued' | 'advisory.updated' | 'advisory.cancelled', a: Advisory, ctx: WordingContext): Wording {
  const name = ADVISORY_NAMES[a.level]
  const [ja, en] = ADVISORY_ACTION[kind]
  const mark = a.drill ? DRILL_MARK : ''
  const lines = [
    ...(a.drill ? ['これは訓練です。'] : []),
    `【警戒レベル${a.level}】${name.ja}${ja}: ${a.area}`,
    a.text,
    `発表時刻 ${localTimeLabelled(a.updatedAt, ctx.timezone)}`,
    `${ctx.publicUrl}/api/cap/${encodeURIComponent(capIdentifier(a))}.xml`,
    '',
    `English: ${a.drill ? '[DRILL] ' : ''}${name.en} ${en} (alert level ${a.level}).`
  ]
  return {
    title: `${mark}【警戒レベル${a.level}】${name.ja}${ja}: ${a.area}`,
    body: lines.join('\n'),
    url: `${ctx.publicUrl}/?advisory=${encodeURIComponent(a.id)}`,
    tag: `advisory-${a.id}`
  }
}

/** one CAP message per advisory version; a cancel is a message of its own */
export function capIdentifier (a: Pick<Advisory, 'id' | 'version' | 'status'>): string {
  return `mimamori-${a.id}-v${a.version}${a.status === 'cancelled' ? '-cancel' : ''}`
}

/**
 * 「大泉橋観測所」 from a station named 「内川 (大泉橋)」 on the river 内川: the river is
 * written once, before the name, so the text never reads 「内川の内川 (大泉橋)観測所」.
 */
export function stationLabel (station: Pick<Station, 'name' | 'river'>): string {
  const m = /^(.*?)\s*[（(]([^()（）]+)[)）]\s*$/.exec(station.name)
  const place = m === null ? station.name : m[1] === station.river || m[1] === '' ? m[2]! : `${m[1]}・${m[2]!}`
  return place.endsWith('観測所') ? place : `${place}観測所`
}
