import type { OfficialArea } from '../core/config/official-schema.js'
import { GUIDELINE_CRITERIA, validateCriteria, type Criterion, type Suggestion } from '../core/official-criteria.js'
import { severity } from '../core/levels.js'
import { LEVEL_STATUSES, type LevelStatus } from '../core/types.js'
import type { OfficialRepository } from '../store/official.js'
import { evaluateArea, type GaugeBand } from './evaluate.js'
import type { AreaState } from './state.js'

export interface GaugeInfo { id: string, name: string, river: string }

export interface SuggestionTracker {
  /** a gauge's live band changed (bus statusChange, or a reference gauge's reading) */
  gaugeBand(e: { stationId: string, band: LevelStatus, time: number, level: number }, reference?: boolean): void
  /** evaluates every area against the current state; stores and returns the suggestions that changed */
  evaluate(): Suggestion[]
  current(): Suggestion[]
  criteriaFor(areaCode: string): Criterion[]
  gauges(): ReadonlyMap<string, GaugeBand>
}

export interface TrackerDeps {
  areas: OfficialArea[]
  stations: GaugeInfo[]
  repo: OfficialRepository
  official: ReadonlyMap<string, AreaState>
  clock?: () => number
}

/**
 * 判断補助: keeps each gauge's band with the time it reached each band, and evaluates each area's
 * criteria (the guideline's until an admin edits them) whenever a gauge band or the JMA state changes.
 * The suggestion and its reasons are stored for the staff view and the advisory draft; nothing is issued.
 */
export function createSuggestionTracker ({ areas, stations, repo, official, clock = Date.now }: TrackerDeps): SuggestionTracker {
  const info = new Map(stations.map(s => [s.id, s]))
  const bands = new Map<string, GaugeBand>()
  const last = new Map<string, Suggestion>()
  for (const r of repo.suggestions()) last.set(r.areaCode, r.doc as Suggestion)

  const criteriaFor = (areaCode: string): Criterion[] => {
    const row = repo.criteria().find(c => c.areaCode === areaCode)
    // a stored list was validated when saved; validate again so a hand-edited row cannot break evaluation
    if (row === undefined) return GUIDELINE_CRITERIA
    try { return validateCriteria(row.doc) } catch { return GUIDELINE_CRITERIA }
  }

  return {
    gaugeBand ({ stationId, band, time, level }, reference = false) {
      const prev = bands.get(stationId)
      const reachedAt: Partial<Record<LevelStatus, number>> = {}
      for (const b of LEVEL_STATUSES) {
        if (b === 'normal' || severity(b) > severity(band)) continue
        reachedAt[b] = prev?.reachedAt[b] ?? time
      }
      const i = info.get(stationId)
      bands.set(stationId, { stationId, name: i?.name ?? stationId, river: i?.river ?? '', reference, band, level, reachedAt })
    },
    evaluate () {
      const now = clock()
      const changed: Suggestion[] = []
      for (const area of areas) {
        const { level, reasons } = evaluateArea({ area, criteria: criteriaFor(area.code), official, gauges: bands })
        const top = reasons.filter(r => r.level === level)
        const since = level === 0 ? null : Math.min(...top.map(r => r.since))
        const s: Suggestion = { areaCode: area.code, areaName: area.name, level, since, reasons, evaluatedAt: now }
        const prev = last.get(area.code)
        if (prev !== undefined && JSON.stringify({ ...prev, evaluatedAt: 0 }) === JSON.stringify({ ...s, evaluatedAt: 0 })) continue
        last.set(area.code, s)
        repo.saveSuggestion(area.code, s, now)
        changed.push(s)
      }
      return changed
    },
    current: () => areas.map(a => last.get(a.code)).filter((s): s is Suggestion => s !== undefined),
    criteriaFor,
    gauges: () => bands
  }
}
