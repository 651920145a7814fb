import { describe, expect, it } from 'vitest'
import { createStoreAndForward } from '../../edge/gauge/store-and-forward.js'
import { decodeGaugeFrame, encodeUplink, type GaugeUplinkInput } from '../../codecs/gauge-v1.js'

const MINUTE = 60_000
const T0 = Date.UTC(2025, 8, 1, 3, 0)
const input = (i: number, levelM: number | null): GaugeUplinkInput =>
  ({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 20, spreadMm: 3, validPings: levelM === null ? 0 : 20, totalPings: 20, time: T0 + i * 10 * MINUTE })

describe('store-and-forward', () => {
  it('keeps frames while the link is down and sends them later, oldest first, with their original time and the backlog flag', async () => {
    const sf = createStoreAndForward({ capacity: 10 })
    for (let i = 0; i < 4; i++) sf.push(input(i, 1 + i / 10))
    // link still down: nothing leaves, nothing is lost
    expect(await sf.flush(async () => { throw new Error('no link') })).toBe(0)
    expect(sf.size).toBe(4)

    const received: Array<{ time: string | undefined, levelM: number | null, flags: string[] }> = []
    const arrival = new Date(T0 + 6 * 3_600_000) // six hours later
    const n = await sf.flush(async f => {
      const d = decodeGaugeFrame({ bytes: encodeUplink(f), fPort: 1, recvTime: arrival })
      received.push({ time: d.time, levelM: d.levelM, flags: d.flags })
    })
    expect(n).toBe(4)
    expect(sf.size).toBe(0)
    expect(received.map(r => r.time)).toEqual([0, 1, 2, 3].map(i => new Date(T0 + i * 10 * MINUTE).toISOString()))
    expect(received.every(r => r.flags.includes('backlog'))).toBe(true)
    expect(sf.stats).toMatchObject({ sent: 4, queued: 0, summarised: 0, accountedFor: 4 })
  })

  it('stops at the first failed send and keeps that frame first in line', async () => {
    const sf = createStoreAndForward({ capacity: 10 })
    for (let i = 0; i < 3; i++) sf.push(input(i, 1))
    let calls = 0
    expect(await sf.flush(async () => { if (++calls === 2) throw new Error('link lost') })).toBe(1)
    expect(sf.frames()[0]!.input.time).toBe(T0 + 10 * MINUTE)
    expect(sf.size).toBe(2)
  })

  it('is bounded: when full the oldest frames are summarised (peak kept, counted), never silently dropped', () => {
    const sf = createStoreAndForward({ capacity: 5 })
    // a flood peak of 2.40 m early in a long outage must survive the summarising
    const levels = [1.0, 1.6, 2.4, 2.1, 1.8, 1.5, 1.3, 1.2, null, 1.1, 1.0, 0.9]
    levels.forEach((l, i) => { sf.push(input(i, l)) })
    expect(sf.size).toBe(5)
    expect(sf.stats.summarised).toBe(levels.length - 5)
    // every measurement is accounted for by exactly one queued frame
    expect(sf.stats.accountedFor).toBe(levels.length)
    expect(sf.frames().reduce((s, f) => s + f.represents, 0)).toBe(levels.length)
    const kept = sf.frames().map(f => f.input.levelM)
    expect(Math.max(...kept.filter((l): l is number => l !== null))).toBe(2.4)
    const summary = sf.frames()[0]!
    expect(summary.represents).toBeGreaterThan(1)
    expect(summary.from).toBe(T0)
    expect(summary.input.flags).toContain('backlog')
    // the newest frames are untouched
    expect(sf.frames().slice(-3).map(f => f.represents)).toEqual([1, 1, 1])
  })

  it('reports a backlog once it has gone out completely: frames sent, measurements summarised, times covered', async () => {
    const sf = createStoreAndForward({ capacity: 4 })
    expect(sf.takeBacklogReport()).toBeUndefined() // nothing sent yet
    for (let i = 0; i < 7; i++) sf.push(input(i, 1 + i / 10))
    expect(sf.stats.summarised).toBe(3)
    // a partial flush reports nothing: frames still wait
    let calls = 0
    expect(await sf.flush(async () => { if (++calls === 3) throw new Error('link lost') })).toBe(2)
    expect(sf.takeBacklogReport()).toBeUndefined()
    expect(await sf.flush(async () => {})).toBe(2)
    const report = sf.takeBacklogReport()
    expect(report).toEqual({ sent: 4, summarised: 3, from: T0, to: T0 + 6 * 10 * MINUTE })
    // frames sent + measurements summarised = every measurement that went through the queue
    expect(report!.sent + report!.summarised).toBe(sf.stats.accountedFor)
    expect(sf.takeBacklogReport()).toBeUndefined() // taken once

    // the next outage starts afresh: only its own frames and summarising
    for (let i = 10; i < 12; i++) sf.push(input(i, 1))
    await sf.flush(async () => {})
    expect(sf.takeBacklogReport()).toEqual({ sent: 2, summarised: 0, from: T0 + 100 * MINUTE, to: T0 + 110 * MINUTE })
  })
})
