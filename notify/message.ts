import { CONFIDENCE_EN, CONFIDENCE_JA, confidenceOf } from '../core/confidence.js'
import type { Alert } from '../core/types.js'
import { ADVISORY_NAMES, mlitLevel } from './levels.js'
import type { Advisory, NotifyKind } from './types.js'

export const DRILL_MARK = '【訓練】'

export interface Wording { title: string, body: string, url: string, tag: string }

export interface WordingContext {
  publicUrl: string
  timezone: string
}

/** e.g. 12月5日 17:42 — the local time people read on a phone */
export function localTime (ms: number, timezone: string): string {
  return new Intl.DateTimeFormat('ja-JP', { timeZone: timezone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(ms)
}

const STATE_JA: Partial<Record<NotifyKind, [string, string]>> = {
  'alert.firing': ['発表', 'issued'],
  'alert.severity': ['引き上げ', 'raised'],
  'alert.acknowledged': ['対応中', 'acknowledged'],
  'alert.resolved': ['解除', 'resolved'],
  'alert.escalated': ['未対応・再通知', 'not acknowledged, escalated']
}

/** Title and body of an alert message: Japanese first, English second, 【訓練】 on every drill. */
export function alertWording (kind: NotifyKind, alert: Alert, ctx: WordingContext, extra: { step?: number | null, rotaName?: string | null } = {}): Wording {
  const mark = alert.drill ? DRILL_MARK : ''
  const [ja, en] = STATE_JA[kind] ?? ['更新', 'updated']
  const level = mlitLevel(alert)
  const lines: string[] = []
  if (kind === 'alert.escalated') lines.push(`${extra.step ?? ''}段目の連絡です (${extra.rotaName ?? ''}): ${localTime(alert.firedAt ?? alert.createdAt, ctx.timezone)} から未確認 / escalation step ${extra.step ?? ''}, unacknowledged`)
  if (level !== null) lines.push(`警戒レベル${level}相当 / alert level ${level}`)
  if (alert.kind === 'wildlife') {
    const score = typeof alert.details.score === 'number' ? alert.details.score : 0
    const c = confidenceOf(score)
    lines.push(`信頼度: ${CONFIDENCE_JA[c]} / confidence: ${CONFIDENCE_EN[c]}`)
  } else if (alert.message !== '') {
    lines.push(alert.message)
  }
  lines.push(`時刻 ${localTime(alert.observedAt, ctx.timezone)} / observed ${new Date(alert.observedAt).toISOString()}`)
  if (kind === 'alert.acknowledged' && alert.acknowledgedBy !== null) lines.push(`対応: ${alert.acknowledgedBy} / by ${alert.acknowledgedBy}`)
  if (kind === 'alert.resolved') lines.push(`解除: ${alert.resolution ?? ''} / resolved: ${alert.resolution ?? ''}`)
  if (alert.drill) lines.unshift('これは訓練です。 / This is a drill.')
  const sightingId = typeof alert.details.sightingId === 'string' ? alert.details.sightingId : null
  const url = alert.kind === 'wildlife' && sightingId !== null
    ? `${ctx.publicUrl}/hunter.html?alert=${encodeURIComponent(alert.id)}&sighting=${encodeURIComponent(sightingId)}`
    : `${ctx.publicUrl}/?alert=${encodeURIComponent(alert.id)}`
  lines.push(url)
  return { title: `${mark}${ja}: ${alert.title} (${en})`, body: lines.join('\n'), url, tag: `alert-${alert.id}` }
}

const ADVISORY_ACTION: Record<'advisory.issued' | 'advisory.updated' | 'advisory.cancelled', [string, string]> = {
  'advisory.issued': ['発令', 'issued'],
  'advisory.updated': ['更新', 'updated'],
  'advisory.cancelled': ['解除', 'cancelled']
}

export function advisoryWording (kind: 'advisory.issued' | 'advisory.updated' | 'advisory.cancelled', a: Advisory, ctx: WordingContext): Wording {
  const name = ADVISORY_NAMES[a.level]
  const [ja, en] = ADVISORY_ACTION[kind]
  const mark = a.drill ? DRILL_MARK : ''
  const lines = [
    ...(a.drill ? ['これは訓練です。 / This is a drill.'] : []),
    `【警戒レベル${a.level}】${name.ja} ${ja} — ${a.area}`,
    a.text,
    `${name.en} ${en} for ${a.area} (alert level ${a.level}).`,
    `${ctx.publicUrl}/api/cap/${encodeURIComponent(capIdentifier(a))}.xml`
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
