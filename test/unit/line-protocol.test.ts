import { describe, expect, it } from 'vitest'
import { Point } from '@influxdata/influxdb-client'
import { genericReadingLine, readingToLine } from '../../store/influx-lines.js'
import { LineBuilder } from '../../store/line-protocol.js'
import type { Reading } from '../../core/types.js'
import { createRng } from '../../core/random.js'

/** the client library's Point is the reference our direct serializer must match byte for byte */
function pointLine (measurement: string, tags: Record<string, string>, fields: Record<string, number | string | boolean>, ints: Set<string>, ts: string): string | undefined {
  const p = new Point(measurement)
  for (const [k, v] of Object.entries(tags)) p.tag(k, v)
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') p.stringField(k, v)
    else if (typeof v === 'boolean') p.booleanField(k, v)
    else if (ints.has(k)) p.intField(k, v)
    else p.floatField(k, v)
  }
  return p.timestamp(ts).toLineProtocol()
}

const NASTY = ['plain', 'with space', 'com,ma', 'eq=ual', 'quo"te', 'back\\slash', 'new\nline', 'tab\there', 'cr\rx', '青龍寺川 (新形橋)', '=', ',', ' ', '']

describe('line protocol serializer', () => {
  it('matches Point.toLineProtocol() for names, tags and fields with every special character', () => {
    const rng = createRng(42)
    const rand = (): number => rng.next()
    const pick = (): string => NASTY[Math.floor(rand() * NASTY.length)]!
    for (let i = 0; i < 2000; i++) {
      const measurement = pick() || 'm'
      const tags: Record<string, string> = {}
      const fields: Record<string, number | string | boolean> = {}
      const ints = new Set<string>()
      for (let k = 0; k < 3; k++) tags[pick() || `t${k}`] = pick()
      for (let k = 0; k < 4; k++) {
        const key = `${pick()}${k}`
        const kind = Math.floor(rand() * 4)
        if (kind === 0) fields[key] = (rand() - 0.5) * 10 ** Math.floor(rand() * 30 - 10)
        else if (kind === 1) { fields[key] = Math.floor((rand() - 0.5) * 1e9); ints.add(key) } else if (kind === 2) fields[key] = pick()
        else fields[key] = rand() < 0.5
      }
      const b = new LineBuilder(measurement)
      for (const [k, v] of Object.entries(tags)) b.tag(k, v)
      for (const [k, v] of Object.entries(fields)) {
        if (typeof v === 'string') b.string(k, v)
        else if (typeof v === 'boolean') b.bool(k, v)
        else if (ints.has(k)) b.int(k, v)
        else b.float(k, v)
      }
      expect(b.line('1700000000000')).toBe(pointLine(measurement, tags, fields, ints, '1700000000000'))
    }
  })

  it('writes a reading with tags, float and integer fields, QC and the timestamp in the precision asked', () => {
    const r: Reading = { stationId: 'seiryuji shingata', deviceId: 'gauge,01', time: 1_700_000_000_000, receivedAt: 1_700_000_005_000, level: 1.234, batteryV: 3.6, temperatureC: null, spreadMm: 3, validPings: 20, totalPings: 21, deviceFlags: 0, seq: 42, qc: { flag: 3, tests: { spike: 3 } } }
    expect(readingToLine(r, 'river_level', 'ms')).toBe('river_level,device=gauge\\,01,station=seiryuji\\ shingata battery_v=3.6,device_flags=0i,level=1.234,qc_flag=3i,qc_tests="{\\"spike\\":3}",received_at=1700000005000i,seq=42i,spread_mm=3,total_pings=21i,valid_pings=20i 1700000000000')
    expect(readingToLine(r, 'river_level', 's').endsWith(' 1700000000')).toBe(true)
    expect(() => new LineBuilder('m').float('x', Number.NaN)).toThrow()
    expect(new LineBuilder('m').tag('a', 'b').line('1')).toBeUndefined()
  })
})

describe('the fast reading line', () => {
  /** readings of the usual shape and odd ones: nulls, NaN level, empty ids, special characters, QC tests, extra keys */
  function generated (n: number): Reading[] {
    const rng = createRng(7)
    const rand = (): number => rng.next()
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    const maybe = (v: number): number | null => rand() < 0.2 ? null : v
    const out: Reading[] = []
    for (let i = 0; i < n; i++) {
      const r: Reading & Record<string, unknown> = {
        stationId: rand() < 0.7 ? `st-${i % 50}` : pick(NASTY),
        deviceId: rand() < 0.7 ? `dev-${i % 50}` : pick(NASTY),
        time: 1_700_000_000_000 + Math.floor(rand() * 1e9),
        receivedAt: 1_700_000_000_000 + rand() * 1e9,
        level: rand() < 0.1 ? Number.NaN : (rand() - 0.3) * 10,
        batteryV: maybe(3 + rand()),
        temperatureC: rand() < 0.05 ? Number.POSITIVE_INFINITY : maybe((rand() - 0.5) * 60),
        spreadMm: maybe(rand() * 100),
        validPings: Math.floor(rand() * 30),
        totalPings: 30 + rand(),
        deviceFlags: rand() < 0.02 ? 1e20 : Math.floor(rand() * 256),
        seq: Math.floor(rand() * 65_536)
      }
      if (rand() < 0.8) r.qc = { flag: pick([1, 2, 3, 4, 9] as const), tests: rand() < 0.6 ? {} : { spike: 4, 'odd "name"': 3 } }
      if (rand() < 0.1) r.mode = 'watch'
      if (rand() < 0.05) r.extraThing = { a: 1 }
      if (rand() < 0.05) r.note = null
      out.push(r)
    }
    return out
  }

  it('is byte-identical to the generic builder (or throws the same way) for every generated reading', () => {
    let fast = 0
    for (const r of generated(5000)) {
      for (const precision of ['s', 'ms', 'us', 'ns'] as const) {
        let want: string | Error
        try { want = genericReadingLine(r, 'river level', precision) } catch (err) { want = err as Error }
        if (want instanceof Error) expect(() => readingToLine(r, 'river level', precision)).toThrow(want.message)
        else expect(readingToLine(r, 'river level', precision)).toBe(want)
      }
      if (!('mode' in r) && !('extraThing' in r)) fast++
    }
    expect(fast).toBeGreaterThan(3000) // most generated readings took the fast path's shape
  })
})
