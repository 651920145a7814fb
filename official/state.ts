import type { AreaEntry, KindItem, Product, Telegram } from './types.js'

export interface KindState extends KindItem {
  /** report time from which this kind has been in force without a break, ms */
  since: number
}

/** 発表 (new or raised), 継続 (unchanged), 解除 (ended by this telegram), なし (nothing in force) */
export type Phase = '発表' | '継続' | '解除' | 'なし'

export interface AreaState {
  product: Product
  areaCode: string
  areaName: string
  active: KindState[]
  /** 警戒レベル相当 of the highest active kind */
  level: number | null
  /** since when the area has been at this level (report time, ms) */
  levelSince: number | null
  phase: Phase
  /** the telegram that last set this area: its id, report time and title */
  telegramId: string
  reportTime: number
  headTitle: string
  infoType: string
  /** the telegram stream (streamOf) that set this state, for 取消 and 訂正 */
  stream: string
  /** withdrawal/correction undo: the state before the telegram that set this one */
  prev: Omit<AreaState, 'prev'> | null
}

export type StateMap = Map<string, AreaState>

export const stateKey = (product: Product, areaCode: string): string => `${product}:${areaCode}`

/**
 * 取消 and 訂正 refer to an earlier telegram of the same stream: the same kind (InfoKind), the same
 * issuing office and, where there is one, the same EventID (洪水予報: the forecast area).
 */
export function streamOf (t: Telegram): string {
  return `${t.head.infoKind}|${t.head.editorialOffice}|${t.head.eventId}`
}

export interface ApplyResult {
  changed: AreaState[]
  /** areas skipped because the map already holds a newer telegram for them */
  stale: number
}

/**
 * Applies one telegram to the per-area state, in place.
 *  - 発表: each area the telegram lists takes its kinds; a kind already in force keeps its `since`.
 *  - 取消: the areas whose state came from the withdrawn telegram (same stream, same ReportDateTime,
 *    else the stream's latest) go back to the state before it.
 *  - 訂正: the corrected telegram is taken back as for 取消, then the correction applied as 発表.
 * A telegram older than what an area already shows does not change that area (late or replayed twice).
 */
export function applyTelegram (map: StateMap, t: Telegram, telegramId: string): ApplyResult {
  const changed: AreaState[] = []
  if (t.product === 'specialNotice') return { changed, stale: 0 }
  const stream = streamOf(t)
  if (t.head.infoType === '取消' || t.head.infoType === '訂正') {
    for (const s of withdraw(map, t, stream)) changed.push(s)
    if (t.head.infoType === '取消') return { changed, stale: 0 }
  }
  let stale = 0
  for (const e of t.entries) {
    const key = stateKey(e.product, e.areaCode)
    const before = map.get(key)
    if (before !== undefined && before.reportTime > t.head.reportDateTime) { stale++; continue }
    const next = nextState(before, e, t, telegramId, stream)
    map.set(key, next)
    if (before === undefined || changedState(before, next)) changed.push(next)
  }
  return { changed, stale }
}

function nextState (before: AreaState | undefined, e: AreaEntry, t: Telegram, telegramId: string, stream: string): AreaState {
  const time = t.head.reportDateTime
  const active: KindState[] = e.active.map(k => {
    const kept = before?.active.find(b => b.code === k.code)
    return { ...k, since: kept?.since ?? time }
  })
  const wasActive = (before?.active.length ?? 0) > 0
  const phase: Phase = active.length === 0
    ? (wasActive || e.cleared.length > 0 ? '解除' : 'なし')
    : active.every(k => before?.active.some(b => b.code === k.code)) ? '継続' : '発表'
  const levelSince = e.level === null ? null : before?.level === e.level ? before.levelSince : time
  const { prev: _drop, ...snapshot } = before ?? { prev: null }
  return {
    product: e.product,
    areaCode: e.areaCode,
    areaName: e.areaName !== '' ? e.areaName : before?.areaName ?? '',
    active,
    level: e.level,
    levelSince,
    phase,
    telegramId,
    reportTime: time,
    headTitle: t.head.headTitle,
    infoType: t.head.infoType,
    stream,
    prev: before === undefined ? null : snapshot as Omit<AreaState, 'prev'>
  }
}

function withdraw (map: StateMap, t: Telegram, stream: string): AreaState[] {
  // the areas last set by a telegram of this stream
  const candidates = [...map.values()].filter(s => s.stream === stream)
  if (candidates.length === 0) return []
  const exact = candidates.filter(s => s.reportTime === t.head.reportDateTime)
  const latest = Math.max(...candidates.map(s => s.reportTime))
  const target = exact.length > 0 ? exact : candidates.filter(s => s.reportTime === latest)
  const out: AreaState[] = []
  for (const s of target) {
    const key = stateKey(s.product, s.areaCode)
    if (s.prev === null) {
      map.delete(key)
      out.push({ ...s, active: [], level: null, levelSince: null, phase: 'なし', infoType: t.head.infoType, prev: null })
    } else {
      const restored: AreaState = { ...s.prev, prev: null }
      map.set(key, restored)
      out.push(restored)
    }
  }
  return out
}

function changedState (a: AreaState, b: AreaState): boolean {
  return a.level !== b.level || a.phase !== b.phase || a.active.length !== b.active.length ||
    a.active.some((k, i) => k.code !== b.active[i]?.code || k.status !== b.active[i]?.status)
}
