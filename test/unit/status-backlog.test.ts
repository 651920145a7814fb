import { describe, expect, it } from 'vitest'
import { createEventBus } from '../../core/bus.js'
import { silentLogger } from '../../core/logger.js'
import { handleDeviceStatus, parseBacklog } from '../../ingest/handlers/status.js'
import type { HandlerContext } from '../../ingest/handlers/context.js'
import { createStats } from '../../ingest/stats.js'

const FROM = '2025-09-01T03:00:00.000Z'
const TO = '2025-09-01T06:00:00.000Z'
const ok = { sent: 12, summarised: 3, from: FROM, to: TO }

describe('status handler: the backlog report of a gateway gauge', () => {
  it('accepts a well-formed report, counts the summarised measurements and carries it on the bus', () => {
    const bus = createEventBus()
    const stats = createStats()
    const ctx = { logger: silentLogger(), bus, stats } as unknown as HandlerContext
    const seen: unknown[] = []
    bus.on('deviceStatus', {}, s => { seen.push(s.backlog) })
    handleDeviceStatus(ctx, 'gauge', 'g1', Buffer.from(JSON.stringify({ online: true, batteryV: 3.6, backlog: ok })), 1000)
    handleDeviceStatus(ctx, 'gauge', 'g1', Buffer.from(JSON.stringify({ online: false })), 2000)
    expect(seen).toEqual([{ sent: 12, summarised: 3, from: Date.parse(FROM), to: Date.parse(TO) }, null])
    expect(stats.summarisedMeasurements).toBe(3)
    // the retained copy a new subscription gets (ingest restarted) reaches the dashboard, but is not counted twice
    handleDeviceStatus(ctx, 'gauge', 'g1', Buffer.from(JSON.stringify({ online: true, batteryV: 3.6, backlog: ok })), 3000, true)
    expect(seen).toHaveLength(3)
    expect(stats.summarisedMeasurements).toBe(3)
  })

  it('allows nothing summarised and an outage of one instant', () => {
    expect(parseBacklog('g1', { sent: 1, summarised: 0, from: FROM, to: FROM })).toEqual({ sent: 1, summarised: 0, from: Date.parse(FROM), to: Date.parse(FROM) })
    expect(parseBacklog('g1', { ...ok, from: '2025-09-01T12:00:00+09:00' }).from).toBe(Date.parse(FROM))
  })

  it.each([
    ['not an object', [1, 2], /must be an object/],
    ['negative summarised', { ...ok, summarised: -1 }, /"summarised" must be a non-negative integer/],
    ['fractional sent', { ...ok, sent: 1.5 }, /"sent" must be a non-negative integer/],
    ['sent as text', { ...ok, sent: '12' }, /"sent" must be a non-negative integer/],
    ['missing summarised', { sent: 1, from: FROM, to: TO }, /"summarised" must be a non-negative integer/],
    ['from after to', { ...ok, from: TO, to: FROM }, /"from" must not be after "to"/],
    ['time without a zone', { ...ok, to: '2025-09-01T06:00:00' }, /"to" must be an ISO 8601 time/],
    ['epoch number', { ...ok, from: Date.parse(FROM) }, /"from" must be an ISO 8601 time/]
  ])('refuses %s with MIMAMORI_ERR_BAD_PAYLOAD', (_name, backlog, message) => {
    const bus = createEventBus()
    const ctx = { logger: silentLogger(), bus, stats: createStats() } as unknown as HandlerContext
    let emitted = 0
    bus.on('deviceStatus', {}, () => { emitted++ })
    const run = (): void => { handleDeviceStatus(ctx, 'gauge', 'g1', Buffer.from(JSON.stringify({ online: true, backlog })), 1000) }
    expect(run).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_BAD_PAYLOAD', message: expect.stringMatching(message) }))
    expect(emitted).toBe(0)
  })
})
