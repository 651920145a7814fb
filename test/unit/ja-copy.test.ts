import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import type { Alert, Station } from '../../core/types.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import type { Store } from '../../store/store.js'
import { createAdvisories, type Advisories } from '../../notify/advisory.js'
import { capAlertXml, capAtomFeed } from '../../notify/cap-xml.js'
import { advisoryWording, alertWording, stationLabel, type WordingContext } from '../../notify/message.js'
import { openNotifyStore, type NotifyStore } from '../../notify/store.js'
import type { Advisory, NotifyKind } from '../../notify/types.js'
import { allMessages } from '../../dashboard/web/src/i18n.js'
import { allViewMessages } from '../../dashboard/web/src/views-i18n.js'
import { allAuthMessages } from '../../dashboard/web/src/auth-i18n.js'
import { allNotifyMessages } from '../../dashboard/web/src/notify-i18n.js'
import { allAdvisoryMessages } from '../../dashboard/web/src/advisory-i18n.js'
import { formatRate, formatRateNumber } from '../../dashboard/web/src/format.js'

/**
 * A copy pass, kept: every message template (alert and advisory mails, pushes, CAP,
 * the advisory draft) and every Japanese UI string, rendered and checked for what a
 * municipal notice must never contain.
 */
function problems (text: string, where: string): string[] {
  const out: string[] = []
  const say = (what: string): void => { out.push(`${where}: ${what} in ${JSON.stringify(text)}`) }
  // 「内川の内川」: a name said twice
  if (/(\p{Script=Han}{2,})の\1/u.test(text)) say('doubled name')
  // （（ or ((: a bracket inside a bracket
  let depth = 0
  for (const ch of text) {
    if (ch === '(' || ch === '（') { depth++; if (depth > 1) { say('nested brackets'); break } }
    if (ch === ')' || ch === '）') depth = Math.max(0, depth - 1)
  }
  if (/ \/ [A-Za-z]/.test(text)) say('Japanese / English doubled')
  if (/\bmanual\b/.test(text)) say('the code word "manual"')
  if (/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) say('an ISO time')
  if (/-0\.00/.test(text)) say('-0.00')
  if (/\bTime\b/.test(text)) say('English "Time"')
  return out
}

const STATION = {
  id: 'uchikawa-oizumi',
  name: '内川 (大泉橋)',
  nameEn: 'Uchikawa (Oizumi Bridge)',
  river: '内川',
  lat: 38.73,
  lon: 139.82,
  deviceId: 'gauge-01',
  drill: false,
  thresholds: { observationStart: 0.5, standby: 1.5, caution: 2.0, evacuationJudgement: 2.5, danger: 3.0, flooding: 3.5 }
} as unknown as Station

const RULES: Array<[string, Alert['severity'], Record<string, unknown>]> = [
  ['threshold.standby', 'minor', { level: 1.52, threshold: 1.5 }],
  ['threshold.caution', 'moderate', { level: 2.04, threshold: 2.0 }],
  ['threshold.evacuationJudgement', 'severe', { level: 2.51, threshold: 2.5 }],
  ['threshold.danger', 'extreme', { level: 3.04, threshold: 3.0 }],
  ['threshold.flooding', 'extreme', { level: 3.55, threshold: 3.5 }],
  ['rateOfRise', 'moderate', { level: 2.2, slopeMPerHour: 0.41 }],
  ['forecast.danger', 'severe', { level: 2.6, target: 3.0, expectedAt: '2026-12-05T09:40:00.000Z', etaMinutes: 80 }],
  ['silent', 'minor', { lastReadingAt: '2026-12-05T08:00:00.000Z' }],
  ['sensorFault', 'moderate', { missingFrames: 3 }]
]

function alertOf (rule: string, severity: Alert['severity'], details: Record<string, unknown>, o: Partial<Alert> = {}): Alert {
  const t = Date.parse('2026-12-05T08:42:00Z')
  return {
    id: '00000000-0000-4000-8000-000000000001',
    key: `river/${STATION.id}/${rule}`,
    kind: 'river',
    subjectId: STATION.id,
    rule,
    severity,
    state: 'firing',
    drill: false,
    // as the rules write it: both languages, half-width brackets
    title: `${STATION.name}: 避難判断水位 (レベル3 高齢者等避難) 到達 / ${STATION.nameEn}: evacuation judgement level (Lv3) reached`,
    message: '水位 2.51 m ≥ 避難判断水位 (レベル3 高齢者等避難) 2.50 m',
    details,
    observedAt: t,
    lastSeenAt: t,
    occurrences: 1,
    createdAt: t,
    updatedAt: t,
    firedAt: t,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: null,
    ...o
  }
}

describe('Japanese copy', () => {
  let dir: string
  let store: Store
  let nstore: NotifyStore
  let advisories: Advisories
  const now = Date.parse('2026-12-05T09:00:00Z')

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-copy-'))
    const file = join(dir, 'store.db')
    store = createEmbeddedStore({ file, logger: silentLogger() })
    store.saveStations([STATION as never])
    // a river rising 0.40 → 2.24 m over the last 40 minutes, one reading a minute
    for (let i = 0; i <= 40; i++) {
      const time = now - (40 - i) * 60_000
      await store.writeReading({ stationId: STATION.id, deviceId: 'gauge-01', time, receivedAt: time, level: 0.4 + i * 0.046, batteryV: 3.6, temperatureC: 10, spreadMm: 1, validPings: 10, totalPings: 10, deviceFlags: 0, seq: i } as never)
    }
    nstore = openNotifyStore(file)
    advisories = createAdvisories({ nstore, store, getAlert: () => undefined, findOpenAlert: () => undefined, timezone: 'Asia/Tokyo', trendWindow: { windowMs: 3_600_000, minReadings: 3, maxMs: 3 * 3_600_000 }, clock: () => now, kick: () => {} })
  })

  afterAll(async () => {
    nstore?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('the station is named once: 大泉橋観測所, not 内川 (大泉橋)観測所', () => {
    expect(stationLabel(STATION)).toBe('大泉橋観測所')
    expect(stationLabel({ name: '大泉橋', river: '内川' })).toBe('大泉橋観測所')
  })

  it('every alert message (each kind, rule, drill, resolution; with and without the station lookup) reads as Japanese', () => {
    const kinds: NotifyKind[] = ['alert.firing', 'alert.severity', 'alert.acknowledged', 'alert.resolved', 'alert.escalated']
    const contexts: WordingContext[] = [
      { publicUrl: 'https://bousai.example.jp', timezone: 'Asia/Tokyo' },
      { publicUrl: 'https://bousai.example.jp', timezone: 'Asia/Tokyo', subjectName: () => `${STATION.river}・${stationLabel(STATION)}` }
    ]
    const found: string[] = []
    let n = 0
    for (const ctx of contexts) {
      for (const kind of kinds) {
        for (const [rule, severity, details] of RULES) {
          for (const drill of [false, true]) {
            for (const resolution of [null, 'manual', 'cleared', 'unconfirmed', 'reached']) {
              const a = alertOf(rule, severity, details, { drill, resolution, resolvedBy: resolution === 'manual' ? 'suzuki' : 'system', acknowledgedBy: 'suzuki', state: kind === 'alert.resolved' ? 'resolved' : 'firing' })
              const w = alertWording(kind, a, ctx, { step: 2, rotaName: '係長' })
              found.push(...problems(w.title, `${kind} ${rule} title`), ...problems(w.body, `${kind} ${rule} body`))
              n++
            }
          }
        }
        const sighting = alertOf('sighting', 'moderate', { score: 0.72, sightingId: 's-1', positives: 3, frames: 3 }, { kind: 'wildlife', subjectId: 'cam-01', title: 'サル出没 湯田川 果樹園 / monkeys at Yutagawa orchard', message: '' })
        const w = alertWording(kind, sighting, ctx)
        found.push(...problems(w.title, `${kind} sighting title`), ...problems(w.body, `${kind} sighting body`))
      }
    }
    expect(n).toBeGreaterThan(800)
    expect(found).toEqual([])
    const sample = alertWording('alert.firing', alertOf('threshold.evacuationJudgement', 'severe', { level: 2.51, threshold: 2.5 }), contexts[1]!)
    expect(sample.title).toBe('【発表】内川・大泉橋観測所: 避難判断水位に到達（警戒レベル3相当）')
    expect(sample.body).toContain('観測時刻 12月5日 17:42（日本時間）')
    const resolved = alertWording('alert.resolved', alertOf('threshold.danger', 'extreme', {}, { state: 'resolved', resolution: 'manual', resolvedBy: 'suzuki' }), contexts[1]!)
    expect(resolved.body).toContain('解除の理由: suzuki が解除しました')
  })

  it('the advisory draft, its mails and its CAP message (each level and step) read as Japanese; the trend is the rules\' one', async () => {
    const found: string[] = []
    const ctx = { publicUrl: 'https://bousai.example.jp', timezone: 'Asia/Tokyo', sender: 'bousai@example.lg.jp', senderName: '見守り（市町村 防災担当）' }
    const entries: Array<{ identifier: string, sent: number, xml: string }> = []
    for (const level of [undefined, 3, 4, 5] as const) {
      const d = await advisories.draft({ stationId: STATION.id, level, by: 'suzuki' })
      found.push(...problems(d.text, `draft Lv${d.level} text`), ...problems(d.area, 'draft area'), ...problems(d.headline, 'draft headline'))
      expect(d.text).not.toContain('毎時 +')
      for (const drill of [false, true]) {
        for (const [kind, status, version] of [['advisory.issued', 'issued', 1], ['advisory.updated', 'issued', 2], ['advisory.cancelled', 'cancelled', 2]] as const) {
          const a: Advisory = { ...d, drill, status, version }
          const w = advisoryWording(kind, a, ctx)
          found.push(...problems(w.title, `${kind} title`), ...problems(w.body.split('\nEnglish:')[0]!, `${kind} body`))
          const xml = capAlertXml(a, now, null, ctx)
          for (const tag of ['headline', 'description', 'instruction', 'areaDesc', 'event', 'senderName']) {
            for (const m of xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))) found.push(...problems(m[1]!, `CAP ${tag}`))
          }
          entries.push({ identifier: `${a.id}-${kind}-${String(drill)}`, sent: now, xml })
        }
      }
    }
    for (const m of capAtomFeed(entries, ctx).matchAll(/<title>([^<]*)<\/title>/g)) found.push(...problems(m[1]!, 'CAP feed title'))
    expect(found).toEqual([])
    const suggested = await advisories.draft({ stationId: STATION.id, by: 'suzuki' })
    expect(suggested.area).toBe('内川流域（大泉橋観測所周辺）')
    expect(suggested.text).toContain('内川・大泉橋観測所の水位は')
  })

  it('every Japanese UI string is free of the same faults, and rates never read -0.00', () => {
    const found: string[] = []
    for (const [name, dict] of Object.entries({ i18n: allMessages('ja'), views: allViewMessages('ja'), auth: allAuthMessages('ja'), notify: allNotifyMessages('ja'), advisory: allAdvisoryMessages('ja') })) {
      for (const [key, text] of Object.entries(dict)) found.push(...problems(text, `${name}.${key}`))
    }
    expect(found).toEqual([])
    expect(formatRate(-0.001)).toBe('0.00 m/h')
    expect(formatRateNumber(-0.004)).toBe('0.00')
    expect(formatRate(0.42)).toBe('+0.42 m/h')
    expect(formatRate(-0.1)).toBe('-0.10 m/h')
  })
})
