import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEventBus, type BusEvents } from '../../core/bus.js'
import { silentLogger } from '../../core/logger.js'
import { createAlerts, type Alerts } from '../../alerts/index.js'

const ref = { kind: 'river', subjectId: 'st-1', rule: 'threshold.danger' }
const signal = { ...ref, severity: 'severe' as const, title: '氾濫危険水位 超過' }

describe('alert lifecycle (alerts)', () => {
  let dir: string
  let alerts: Alerts
  let events: Array<BusEvents['alert']>

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-alerts-'))
    const bus = createEventBus()
    events = []
    bus.on('alert', {}, e => { events.push(e) })
    alerts = createAlerts({ file: join(dir, 'a.db'), outbox: null, logger: silentLogger(), bus, clock: () => 1_000 })
  })
  afterEach(async () => {
    await alerts.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('goes pending → firing → acknowledged → resolved with who/when and an audit trail', () => {
    const a = alerts.raise({ ...signal, time: 100 }, { confirmed: false })
    expect(a.state).toBe('pending')
    const fired = alerts.raise({ ...signal, time: 200 })
    expect(fired).toMatchObject({ id: a.id, state: 'firing', firedAt: 200, occurrences: 2 })
    const acked = alerts.acknowledge(a.id, 'duty-officer', { time: 300 })
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'duty-officer', acknowledgedAt: 300 })
    const resolved = alerts.resolve(a.id, 'chief', { time: 400, note: 'water receded' })
    expect(resolved).toMatchObject({ state: 'resolved', resolvedBy: 'chief', resolvedAt: 400, resolution: 'water receded' })
    expect(alerts.history(a.id).map(h => [h.from, h.to, h.by])).toEqual([
      [null, 'pending', 'system'], ['pending', 'firing', 'system'], ['firing', 'acknowledged', 'duty-officer'], ['acknowledged', 'resolved', 'chief']
    ])
    expect(events.map(e => [e.from, e.to])).toEqual([[null, 'pending'], ['pending', 'firing'], ['firing', 'acknowledged'], ['acknowledged', 'resolved']])
  })

  it('deduplicates by key, escalates severity, and keeps drills apart', () => {
    const a = alerts.raise(signal)
    const b = alerts.raise({ ...signal, severity: 'extreme', title: 'worse' })
    expect(b.id).toBe(a.id)
    expect(b.severity).toBe('extreme')
    alerts.raise({ ...signal, severity: 'minor' })
    expect(alerts.get(a.id)?.severity).toBe('extreme')
    const drill = alerts.raise({ ...signal, drill: true })
    expect(drill.id).not.toBe(a.id)
    expect(drill.drill).toBe(true)
    expect(alerts.list({ state: ['firing'] })).toHaveLength(2)
    expect(alerts.list({ drill: false })).toHaveLength(1)
  })

  it('is idempotent and refuses impossible transitions with coded errors', () => {
    const a = alerts.raise(signal)
    alerts.acknowledge(a.id, 'x', { time: 5 })
    expect(alerts.acknowledge(a.id, 'y', { time: 6 })).toMatchObject({ acknowledgedBy: 'x', acknowledgedAt: 5 })
    alerts.resolve(a.id, 'x')
    expect(alerts.resolve(a.id, 'z').resolvedBy).toBe('x')
    expect(() => alerts.acknowledge(a.id, 'x')).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_ALERT_STATE' }) as Error)
    expect(() => alerts.acknowledge('nope', 'x')).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_NOT_FOUND' }) as Error)
    expect(alerts.clear(ref)).toBeUndefined()
    // after resolution a new crossing opens a new alert
    const again = alerts.raise(signal)
    expect(again.id).not.toBe(a.id)
    expect(alerts.clear(ref, { time: 9 })).toMatchObject({ id: again.id, state: 'resolved', resolvedBy: 'system', resolution: 'cleared' })
  })

  it('persists across reopen of the database file', async () => {
    const a = alerts.raise(signal)
    await alerts.close()
    alerts = createAlerts({ file: join(dir, 'a.db'), outbox: null, logger: silentLogger() })
    expect(alerts.findOpen(ref)?.id).toBe(a.id)
  })
})
