import { describe, expect, it } from 'vitest'
import type { Alert } from '../../core/types.js'
import { atLeastLevel, mlitLevel } from '../../notify/levels.js'
import { releaseAt, wants } from '../../notify/routing.js'
import type { Subscription } from '../../notify/types.js'
import { capTime } from '../../notify/cap-xml.js'
import { lineRetryKey } from '../../notify/channels/line.js'

const sub = (over: Partial<Subscription> = {}): Subscription => ({
  id: 's', userId: 'u', role: 'staff', channel: 'email', address: 'a@b.jp', hunterId: null, kinds: [], stations: [], rivers: [], area: null,
  minSeverity: 'minor', minLevel: 0, advisories: false, quietHours: null, createdAt: 0, updatedAt: 0, ...over
})
const alert = (over: Partial<Alert> = {}): Alert => ({
  id: 'a', key: 'k', kind: 'river', subjectId: 'st', rule: 'threshold.danger', severity: 'extreme', state: 'firing', drill: false, title: 't', message: '',
  details: {}, observedAt: 0, lastSeenAt: 0, occurrences: 1, createdAt: 0, updatedAt: 0, firedAt: 0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, resolution: null, ...over
})
// 2026-07-01 23:30 JST
const NIGHT = Date.parse('2026-07-01T14:30:00Z')

describe('notification routing', () => {
  it('holds until the end of a quiet window that wraps midnight, in the configured time zone', () => {
    expect(releaseAt({ start: '22:00', end: '06:00' }, NIGHT, 'Asia/Tokyo')).toBe(Date.parse('2026-07-01T21:00:00Z'))
    expect(releaseAt({ start: '22:00', end: '06:00' }, NIGHT + 2 * 3_600_000, 'Asia/Tokyo')).toBe(Date.parse('2026-07-01T21:00:00Z'))
    expect(releaseAt({ start: '08:00', end: '17:00' }, NIGHT, 'Asia/Tokyo')).toBe(NIGHT)
    expect(releaseAt(null, NIGHT, 'Asia/Tokyo')).toBe(NIGHT)
  })

  it('maps river rules to MLIT levels and other kinds by severity', () => {
    expect(mlitLevel(alert({ rule: 'threshold.evacuationJudgement' }))).toBe(3)
    expect(mlitLevel(alert({ rule: 'forecast.danger' }))).toBe(4)
    expect(mlitLevel(alert({ rule: 'rateOfRise' }))).toBeNull()
    expect(atLeastLevel(alert({ kind: 'wildlife', rule: 'sighting', severity: 'moderate' }), 3)).toBe(false)
    expect(atLeastLevel(alert({ kind: 'wildlife', rule: 'sighting', severity: 'severe' }), 3)).toBe(true)
  })

  it('filters by kind, station, river, area, level, severity and the hunter an alert was routed to', () => {
    const place = { lat: 38.72, lon: 139.83, river: '青龍寺川' }
    expect(wants(sub(), alert(), place)).toBe(true)
    expect(wants(sub({ kinds: ['wildlife'] }), alert(), place)).toBe(false)
    expect(wants(sub({ stations: ['other'] }), alert(), place)).toBe(false)
    expect(wants(sub({ rivers: ['赤川'] }), alert(), place)).toBe(false)
    expect(wants(sub({ area: { lat: 38.72, lon: 139.83, radiusM: 100 } }), alert(), place)).toBe(true)
    expect(wants(sub({ area: { lat: 38.0, lon: 139.0, radiusM: 1000 } }), alert(), place)).toBe(false)
    expect(wants(sub({ minLevel: 4 }), alert({ rule: 'threshold.evacuationJudgement', severity: 'severe' }), place)).toBe(false)
    expect(wants(sub({ minSeverity: 'extreme' }), alert({ severity: 'severe' }), place)).toBe(false)
    const monkeys = alert({ kind: 'wildlife', rule: 'sighting', severity: 'moderate', details: { hunters: ['h1'] } })
    expect(wants(sub({ role: 'hunter', hunterId: 'h1' }), monkeys, place)).toBe(true)
    expect(wants(sub({ role: 'hunter', hunterId: 'h2' }), monkeys, place)).toBe(false)
    expect(wants(sub({ role: 'hunter', hunterId: 'h1' }), alert(), place)).toBe(false) // river alerts only when asked for
  })

  it('writes CAP times with a numeric offset and LINE retry keys as stable UUIDs', () => {
    expect(capTime(NIGHT, 'Asia/Tokyo')).toBe('2026-07-01T23:30:00+09:00')
    expect(capTime(NIGHT, 'UTC')).toBe('2026-07-01T14:30:00+00:00')
    expect(lineRetryKey('1:s:line')).toBe(lineRetryKey('1:s:line'))
    expect(lineRetryKey('1:s:line')).not.toBe(lineRetryKey('2:s:line'))
    expect(lineRetryKey('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
