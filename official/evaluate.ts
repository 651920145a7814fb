import type { OfficialArea } from '../core/config/official-schema.js'
import type { Criterion, SuggestLevel, SuggestionReason } from '../core/official-criteria.js'
import { severity } from '../core/levels.js'
import type { LevelStatus } from '../core/types.js'
import { stateKey, type AreaState } from './state.js'

/** A gauge's live band and, for each band it is at or above, since when (the current excursion). */
export interface GaugeBand {
  stationId: string
  name: string
  river: string
  reference: boolean
  band: LevelStatus
  level: number
  reachedAt: Partial<Record<LevelStatus, number>>
}

export const BAND_JA: Record<LevelStatus, string> = {
  normal: '平常', standby: '水防団待機水位', caution: '氾濫注意水位', evacuationJudgement: '避難判断水位', danger: '氾濫危険水位', flooding: '氾濫発生'
}
const FLOOD_JA: Record<number, string> = { 2: '氾濫注意情報', 3: '氾濫警戒情報', 4: '氾濫危険情報', 5: '氾濫発生情報' }

export interface EvaluateInput {
  area: OfficialArea
  criteria: Criterion[]
  official: ReadonlyMap<string, AreaState>
  gauges: ReadonlyMap<string, GaugeBand>
}

/**
 * Which criteria hold for one area now, each as a reason (which gauge or telegram, since when);
 * the suggested level is the highest of them. Pure: the tracker calls it on every change.
 */
export function evaluateArea ({ area, criteria, official, gauges }: EvaluateInput): { level: 0 | SuggestLevel, reasons: SuggestionReason[] } {
  const reasons: SuggestionReason[] = []
  const areaCodes = [area.code, ...area.warningCodes]
  for (const c of criteria) {
    const s = c.source
    if (s.kind === 'gauge') {
      const ids = s.reference === true ? area.referenceStations : area.stations
      for (const id of ids) {
        const g = gauges.get(id)
        if (g === undefined || severity(g.band) < severity(s.band)) continue
        reasons.push({
          level: c.level, kind: s.reference === true ? 'reference' : 'gauge', subject: id,
          text: `${g.river} ${g.name}${s.reference === true ? '（参考観測所）' : ''} ${BAND_JA[s.band]}以上（現在 ${g.level.toFixed(2)} m）`,
          since: g.reachedAt[s.band] ?? 0
        })
      }
    } else if (s.kind === 'flood') {
      for (const code of area.floodAreas) {
        const st = official.get(stateKey('flood', code))
        if (st?.level == null || st.level < s.minLevel) continue
        reasons.push({
          level: c.level, kind: 'flood', subject: code,
          text: `指定河川洪水予報 ${st.areaName} ${FLOOD_JA[s.minLevel] ?? `レベル${s.minLevel}`}${st.level > s.minLevel ? '以上' : ''}（${st.headTitle}）`,
          since: st.levelsSince[s.minLevel] ?? st.levelSince ?? st.reportTime,
          telegramId: st.telegramId
        })
      }
    } else if (s.kind === 'landslide') {
      for (const code of areaCodes) {
        const st = official.get(stateKey('landslide', code))
        if (st?.level == null) continue
        reasons.push({ level: c.level, kind: 'landslide', subject: code, text: `土砂災害警戒情報 ${st.areaName}（${st.headTitle}）`, since: st.levelSince ?? st.reportTime, telegramId: st.telegramId })
      }
    } else {
      for (const code of areaCodes) {
        const st = official.get(stateKey('warning', code))
        const k = st?.active.find(a => a.code === s.code)
        if (st === undefined || k === undefined) continue
        reasons.push({ level: c.level, kind: 'warning', subject: code, text: `${k.name} ${st.areaName}（${st.headTitle}）`, since: k.since, telegramId: st.telegramId })
      }
    }
  }
  reasons.sort((a, b) => b.level - a.level || a.since - b.since)
  return { level: reasons[0]?.level ?? 0, reasons }
}
