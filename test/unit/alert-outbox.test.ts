import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAlerts, type AlertSignal } from '../../alerts/index.js'
import { silentLogger } from '../../core/logger.js'
import { openAlertOutbox } from '../../notify/outbox.js'
import { openNotifyStore } from '../../notify/store.js'
import { openDatabase } from '../../store/db.js'

/** core's AlertOutbox: alerts hand notify its events inside the transition's transaction, on one shared handle. */
describe('alerts → notify hand-over (core/alert-outbox.ts)', () => {
  let dir: string
  let file: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'mimamori-outbox-')); file = join(dir, 'm.db') })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })
  const signal: AlertSignal = { kind: 'river', subjectId: 'st-1', rule: 'level', severity: 'severe', title: '氾濫注意水位', time: 1000 }

  it('writes one notify event per committed change, through the same connection as the alert', async () => {
    const outbox = openAlertOutbox(file)
    const alerts = createAlerts({ file, outbox, logger: silentLogger() })
    const nstore = openNotifyStore(file)
    expect(outbox.connection).toBe(nstore.db)
    const a = alerts.raise(signal)
    alerts.raise({ ...signal, severity: 'extreme' })
    alerts.acknowledge(a.id, 'bosai', { group: 'g-1' })
    expect(nstore.unfanned(10).map(e => [e.refId, e.kind, e.doc.group ?? null])).toEqual([[a.id, 'firing', null], [a.id, 'severity', null], [a.id, 'acknowledged', 'g-1']])
    nstore.close()
    await alerts.close()
  })

  it('is all or nothing: an outbox that fails rolls the transition back', async () => {
    const handle = openDatabase(file)
    const alerts = createAlerts({ file, outbox: { connection: handle.db, enqueue () { throw new Error('disk full') } }, logger: silentLogger() })
    expect(() => alerts.raise(signal)).toThrow(/disk full/)
    expect(alerts.list()).toEqual([])
    await alerts.close()
    handle.release()
  })

  it('refuses an outbox on another connection (the two writes would not share a transaction)', () => {
    const other = openAlertOutbox(':memory:')
    expect(() => createAlerts({ file, outbox: other, logger: silentLogger() })).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_CONFIG' }))
    other.close?.()
  })

  it('lets notify add to an alert\'s audit trail only through the alerts API (annotate)', async () => {
    const alerts = createAlerts({ file, outbox: openAlertOutbox(file), logger: silentLogger() })
    const a = alerts.raise(signal)
    alerts.annotate(a.id, 'notify:escalation', 'エスカレーション 1段目', { time: 2000 })
    expect(alerts.history(a.id).map(t => [t.from, t.to, t.by])).toEqual([[null, 'firing', 'system'], ['firing', 'firing', 'notify:escalation']])
    expect(() => { alerts.annotate('nope', 'x', 'y') }).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_NOT_FOUND' }))
    await alerts.close()
  })
})
