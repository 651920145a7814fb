import { describe, expect, it } from 'vitest'
import { decodeGaugeFrame, readGaugeFrame, resolveTimeTag } from '../../codecs/gauge-v1.js'
import { MimamoriError } from '../../core/errors.js'

/** a small deterministic generator (xorshift), so a failure names a frame that can be replayed */
function bytesFrom (seed: number): Uint8Array {
  let x = seed >>> 0 || 1
  const out = new Uint8Array(11)
  for (let i = 0; i < 11; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  // version 1 in most frames, so most of them decode; every 8th keeps a random version
  if (seed % 8 !== 0) out[0] = (1 << 4) | (out[0]! & 0x0f)
  return out
}

const outcome = <T>(fn: () => T): { value: T } | { code: string, message: string } => {
  try {
    return { value: fn() }
  } catch (err) {
    if (!(err instanceof MimamoriError)) throw err
    return { code: err.code, message: err.message }
  }
}

/**
 * Ingest reads frames with readGaugeFrame (no flag names, no ISO time: the per-reading path) and
 * resolves the time tag itself; both must say exactly what decodeGaugeFrame says, for good and bad frames.
 */
describe('gauge frame v1: the hot-path reader agrees with the decoder', () => {
  it('same fields, same time, same coded errors over 20 000 generated frames (Buffer and plain array input)', () => {
    const recv = Date.parse('2026-12-07T12:34:56.789Z')
    let decoded = 0
    for (let seed = 1; seed <= 20_000; seed++) {
      const bytes = bytesFrom(seed)
      const arrival = recv + seed * 7_919
      const full = outcome(() => decodeGaugeFrame({ bytes, fPort: 1, recvTime: new Date(arrival) }))
      for (const input of [Buffer.from(bytes), Array.from(bytes)]) {
        const fast = outcome(() => readGaugeFrame(input, 1))
        if ('code' in full) {
          expect(fast, `seed ${seed}`).toEqual(full)
          continue
        }
        expect('value' in fast, `seed ${seed}`).toBe(true)
        if (!('value' in fast)) continue
        const { version, flags, time, ...rest } = full.value
        expect(fast.value, `seed ${seed}`).toEqual(rest)
        expect(resolveTimeTag(fast.value.timeTag, Math.trunc(arrival)), `seed ${seed}`).toBe(Date.parse(time!))
        expect(version).toBe(1)
        expect(flags.length).toBe([...Array(7).keys()].filter(b => (fast.value.flagBits & (1 << b)) !== 0).length)
      }
      if ('value' in full) decoded++
    }
    // the generator reaches both sides: frames that decode and frames that are refused
    expect(decoded).toBeGreaterThan(1_000)
    expect(decoded).toBeLessThan(20_000)
  })

  it('refuses the wrong port and an empty frame with the decoder\'s codes', () => {
    expect(outcome(() => readGaugeFrame(Buffer.alloc(11, 0x10), 2))).toEqual(outcome(() => decodeGaugeFrame({ bytes: Buffer.alloc(11, 0x10), fPort: 2 })))
    expect(outcome(() => readGaugeFrame(Buffer.alloc(0), 1))).toEqual(outcome(() => decodeGaugeFrame({ bytes: Buffer.alloc(0), fPort: 1 })))
  })
})
