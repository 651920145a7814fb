import { randomUUID } from 'node:crypto'
import { MimamoriError } from '../core/errors.js'
import type { Suggestion } from '../core/official-criteria.js'
import type { Alert, Station } from '../core/types.js'
import type { Store } from '../store/store.js'
import { suggestAdvisoryLevel } from '../core/river/advisory-level.js'
import { trendKey, windowTrend, type TrendKey, type TrendWindow } from '../core/river/trend.js'
import { THRESHOLD_RULES } from '../core/river/thresholds.js'
import { ADVISORY_NAMES } from './levels.js'
import { capIdentifier, localTime, stationLabel } from './message.js'
import type { NotifyStore } from './store.js'
import type { Advisory, AdvisoryLevel } from './types.js'
import type { Advisories, AdvisorySuggestion, DraftInput, OfficialTelegramRef } from '../core/notify-types.js'

export type { Advisories, AdvisorySuggestion, DraftInput } from '../core/notify-types.js'

export interface AdvisoryDeps {
  nstore: NotifyStore
  store?: Store | undefined
  getAlert: (id: string) => Alert | undefined
  findOpenAlert: (stationId: string, rule: string, drill: boolean) => Alert | undefined
  timezone: string
  /** the rules' trend window (river.rules.trendWindowMinutes): the draft states the same trend as the pages */
  trendWindow: TrendWindow
  clock: () => number
  /** a new outbox event was committed */
  kick: () => void
  /** the stored 判断補助 suggestion for an area (store/official.ts), when official information is followed */
  officialSuggestion?: ((areaCode: string) => Suggestion | undefined) | undefined
  /** a stored JMA telegram's head by id, so the CAP message can cite what the draft rests on */
  officialTelegram?: ((id: string) => OfficialTelegramRef | undefined) | undefined
}

/**
 * Evacuation advisories (避難情報): 判断補助 — the system drafts the text from
 * what it measured, a person confirms. Issue, update and cancel each commit the
 * advisory and its outbox event in one transaction, so it goes out exactly once
 * per step.
 */
export function createAdvisories (d: AdvisoryDeps): Advisories {
  const mustGet = (id: string): Advisory => {
    const a = d.nstore.advisory(id)
    if (a === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no advisory ${id}`)
    return a
  }
  const commit = (next: Advisory, kind: 'issued' | 'updated' | 'cancelled', previous: { identifier: string, sent: number } | null): Advisory => {
    d.nstore.transaction(() => {
      d.nstore.saveAdvisory(next)
      d.nstore.insertEvent('advisory', next.id, kind, { advisory: next, previous }, next.updatedAt)
    })
    d.kick()
    return next
  }
  const validLevel = (l: number): AdvisoryLevel => {
    if (l !== 3 && l !== 4 && l !== 5) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'advisory level must be 3 (高齢者等避難), 4 (避難指示) or 5 (緊急安全確保)')
    return l
  }

  return {
    async draft (input) {
      const alert = input.alertId === undefined ? undefined : d.getAlert(input.alertId)
      if (input.alertId !== undefined && alert === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no alert ${input.alertId}`)
      const stationId = input.stationId ?? (alert?.kind === 'river' ? alert.subjectId : undefined)
      const station = stationId === undefined ? undefined : d.store?.getStation(stationId)
      if (stationId !== undefined && station === undefined && d.store !== undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${stationId}`)
      const now = d.clock()
      const measured = station === undefined ? undefined : await current(station, alert, now)
      const suggestion: AdvisorySuggestion | null = station === undefined || measured === undefined
        ? null
        : { level: suggestAdvisoryLevel(measured.levelM, measured.rate, station.thresholds), levelM: measured.levelM, at: measured.at, rateMPerHour: measured.rate, trend: trendKey(measured.rate) }
      const official = input.officialArea === undefined ? undefined : d.officialSuggestion?.(input.officialArea)
      if (input.officialArea !== undefined && official === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no 判断補助 suggestion for area ${input.officialArea}`)
      const officialLevel = official === undefined || official.level === 0 ? undefined : official.level
      const level = validLevel(input.level ?? officialLevel ?? suggestion?.level ?? 3)
      const area = input.area?.trim() !== undefined && input.area.trim() !== '' ? input.area.trim() : official !== undefined ? official.areaName : station !== undefined ? `${station.river}流域（${stationLabel(station)}周辺）` : '対象地区'
      const text = (station === undefined || measured === undefined
        ? `${area}に${ADVISORY_NAMES[level].ja}（警戒レベル${level}）を発令します。`
        : stationText(station, level, area, alert, measured)) + (official === undefined ? '' : officialReasons(official))
      const a = draftAdvisory({ input, level, area, text, station, alert, now, official, telegrams: d.officialTelegram })
      d.nstore.saveAdvisory(a)
      return { ...a, suggestion, official: official ?? null }
    },

    issue (id, by, edit = {}) {
      const a = mustGet(id)
      if (a.status === 'issued') return a
      if (a.status !== 'draft') throw new MimamoriError('MIMAMORI_ERR_ADVISORY_STATE', `advisory ${id} is ${a.status}`)
      const now = d.clock()
      const area = edit.area?.trim() || a.area
      return commit({ ...a, area, text: edit.text?.trim() || a.text, headline: `${ADVISORY_NAMES[a.level].ja}（警戒レベル${a.level}）${area}`, status: 'issued', version: 1, issuedBy: by, issuedAt: now, updatedAt: now }, 'issued', null)
    },

    update (id, by, edit) {
      const a = mustGet(id)
      if (a.status !== 'issued') throw new MimamoriError('MIMAMORI_ERR_ADVISORY_STATE', `only an issued advisory can be updated (it is ${a.status})`)
      const level = edit.level === undefined ? a.level : validLevel(edit.level)
      const area = edit.area?.trim() || a.area
      const now = Math.max(d.clock(), a.updatedAt + 1000)
      const previous = { identifier: capIdentifier(a), sent: a.updatedAt }
      return commit({ ...a, level, area, text: edit.text?.trim() || a.text, headline: `${ADVISORY_NAMES[level].ja}（警戒レベル${level}）${area}`, version: a.version + 1, updatedAt: now, issuedBy: by }, 'updated', previous)
    },

    cancel (id, by, note) {
      const a = mustGet(id)
      if (a.status === 'cancelled') return a
      const now = Math.max(d.clock(), a.updatedAt + 1000)
      if (a.status === 'draft') {
        // a draft never left the building: discarding it sends nothing
        const next = { ...a, status: 'cancelled' as const, cancelledBy: by, cancelledAt: now, updatedAt: now }
        d.nstore.saveAdvisory(next)
        return next
      }
      const previous = { identifier: capIdentifier(a), sent: a.updatedAt }
      const text = `${a.area}の${ADVISORY_NAMES[a.level].ja}（警戒レベル${a.level}）を解除します。${note === undefined || note.trim() === '' ? '' : note.trim()}`
      return commit({ ...a, status: 'cancelled', text, cancelledBy: by, cancelledAt: now, updatedAt: now }, 'cancelled', previous)
    },

    get: id => d.nstore.advisory(id),
    list: (limit = 100) => d.nstore.advisories(limit)
  }

  /** the latest usable level and THE trend (same window and rule as the trends API) */
  async function current (station: Station, alert: Alert | undefined, now: number): Promise<{ levelM: number | null, at: number, rate: number | null }> {
    const readings = d.store === undefined ? [] : await d.store.readings(station.id, { from: now - d.trendWindow.maxMs, to: now + 60_000, limit: 1000 })
    const usable = readings.filter(r => Number.isFinite(r.level) && (r.qc?.flag ?? 1) !== 4).sort((x, y) => x.time - y.time)
    const latest = usable.at(-1)
    return {
      levelM: latest?.level ?? (typeof alert?.details.level === 'number' ? alert.details.level : null),
      at: latest?.time ?? alert?.observedAt ?? now,
      rate: windowTrend(usable.map(r => ({ time: r.time, level: r.level })), d.trendWindow)
    }
  }

  function stationText (station: Station, level: AdvisoryLevel, area: string, alert: Alert | undefined, m: { levelM: number | null, at: number, rate: number | null }): string {
    const { levelM, at, rate } = m
    const key = trendKey(rate)
    const trend = key === 'unknown'
      ? '水位の傾向は、観測データが足りないため不明です。'
      : key === 'rising' ? `水位は上昇中です（1時間あたり約 ${rate!.toFixed(2)} m）。` : key === 'falling' ? '水位は下降傾向です。' : '水位はほぼ横ばいです。'
    const reached = levelM === null ? undefined : [...THRESHOLD_RULES].reverse().find(t => levelM >= station.thresholds[t.key])
    const forecast = d.findOpenAlert(station.id, 'forecast.danger', alert?.drill === true)
    const eta = typeof forecast?.details.expectedAt === 'string' ? Date.parse(forecast.details.expectedAt) : NaN
    const parts = [
      `${station.river}・${stationLabel(station)}の水位は、${localTime(at, d.timezone)}現在 ${levelM === null ? '不明' : `${levelM.toFixed(2)} m`}${reached === undefined ? '' : `で、${reached.ja.replace(/ \(.*\)$/, '')}（${station.thresholds[reached.key].toFixed(2)} m）に達しています`}。`,
      trend,
      Number.isFinite(eta) && key === 'rising' ? `このままでは ${localTime(eta, d.timezone)} 頃に氾濫危険水位（${station.thresholds.danger.toFixed(2)} m）に達する見込みです。` : '',
      `${area}に${ADVISORY_NAMES[level].ja}（警戒レベル${level}）を発令します。`,
      level === 5 ? '命の危険があります。直ちに身の安全を確保してください。' : level === 4 ? '危険な場所から全員避難してください。' : '高齢者等は危険な場所から避難してください。'
    ]
    return parts.filter(p => p !== '').join('')
  }
}

/** the 判断補助 reasons as the draft states them; the text is the person's to edit before 発令 */
/** each telegram a reason names, once, oldest reason first; one no longer stored is cited by id alone */
function telegramRefs (s: Suggestion, lookup: ((id: string) => OfficialTelegramRef | undefined) | undefined): OfficialTelegramRef[] {
  const ids = [...new Set(s.reasons.map(r => r.telegramId).filter((x): x is string => x !== undefined))]
  return ids.map(id => lookup?.(id) ?? { id, infoKind: null, office: null, eventId: null, reportTime: null, headTitle: null })
}

function officialReasons (s: Suggestion): string {
  if (s.reasons.length === 0) return ''
  const lines = s.reasons.slice(0, 6).map(r => `・${r.text}`)
  const jma = s.reasons.some(r => r.kind === 'flood' || r.kind === 'landslide' || r.kind === 'warning')
  return `\n判断の根拠（判断補助）:\n${lines.join('\n')}${jma ? '\n出典：気象庁' : ''}`
}

/** a new draft (status draft, version 0) of what draft() worked out */
function draftAdvisory ({ input, level, area, text, station, alert, now, official, telegrams }: {
  input: DraftInput
  level: AdvisoryLevel
  area: string
  text: string
  station: Station | undefined
  alert: Alert | undefined
  now: number
  official: Suggestion | undefined
  telegrams: AdvisoryDeps['officialTelegram']
}): Advisory {
  return {
    id: randomUUID(),
    alertId: alert?.id ?? null,
    level,
    area,
    stationId: station?.id ?? null,
    river: station?.river ?? null,
    lat: station?.lat ?? null,
    lon: station?.lon ?? null,
    radiusM: station === undefined ? null : input.radiusM ?? 2000,
    status: 'draft',
    version: 0,
    headline: `${ADVISORY_NAMES[level].ja}（警戒レベル${level}）${area}`,
    text,
    drill: alert?.drill === true || station?.drill === true,
    createdBy: input.by,
    createdAt: now,
    issuedBy: null,
    issuedAt: null,
    updatedAt: now,
    cancelledBy: null,
    cancelledAt: null,
    ...(official === undefined ? {} : { officialBasis: { areaCode: official.areaCode, telegrams: telegramRefs(official, telegrams) } })
  }
}
