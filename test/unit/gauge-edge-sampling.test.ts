import { describe, expect, it } from 'vitest'
import { createRng, seedFrom } from '../../core/random.js'
import { measure } from '../../edge/gauge/measure.js'
import { DEFAULT_PING_MODEL, filterPings, MIN_VALID_PINGS, samplePings, type PingModel } from '../../edge/gauge/sampling.js'

const QUIET: PingModel = { pings: 20, noiseM: 0, dropoutRate: 0, falseEchoRate: 0 }

/** The gauge's measurement window (edge/gauge/sampling.ts, measure.ts) on pings whose answer is known. */
describe('gauge sampling: pings → median/MAD → level', () => {
  it('rejects false echoes by median/MAD and reports valid/total and the robust spread', () => {
    // 16 returns around 2.000 m (±1..3 mm), 3 false echoes (a pier at 0.8 m, rain at 1.1 m), 1 dropout
    const good = [2.000, 2.001, 1.999, 2.002, 1.998, 2.003, 1.997, 2.000, 2.001, 1.999, 2.000, 2.002, 1.998, 2.000, 2.001, 1.999]
    const pings = [...good.slice(0, 5), 0.8, ...good.slice(5, 10), Number.NaN, 1.1, ...good.slice(10), 0.8]
    const f = filterPings(pings)
    expect(f.total).toBe(20)
    expect(f.valid).toBe(16)
    expect(f.rejectedEchoes).toBe(3)
    expect(f.distanceM).toBeCloseTo(2.000, 6)
    // 1.4826 · median(|p − 2.000|) of the kept pings: the deviations' median is 1 mm
    expect(f.spreadMm).toBeCloseTo(1.4826, 3)
  })

  it('too few valid pings: no distance, and the device flags fewValidPings + sensorError with level null', () => {
    const pings = [...Array<number>(11).fill(Number.NaN), ...Array<number>(MIN_VALID_PINGS - 1).fill(3)]
    const f = filterPings(pings)
    expect(f).toMatchObject({ distanceM: null, valid: MIN_VALID_PINGS - 1, total: 20 })
    expect(filterPings([...Array<number>(10).fill(Number.NaN), ...Array<number>(MIN_VALID_PINGS).fill(3)]).distanceM).toBe(3)

    const m = measure({ mount: { sensorHeight: 5 }, trueLevelM: 1, time: 0, mode: 'watch', batteryV: 3.6, temperatureC: 20, rng: createRng(1), pingModel: { ...QUIET, dropoutRate: 1 } })
    expect(m.levelM).toBeNull()
    expect(m.flags).toEqual(expect.arrayContaining(['fewValidPings', 'sensorError']))
    expect(m).toMatchObject({ validPings: 0, totalPings: 20 })
  })

  it('level = sensor height − distance, rounded to 1 cm', () => {
    const at = (trueLevelM: number): number | null => measure({ mount: { sensorHeight: 5 }, trueLevelM, time: 0, mode: 'observe', batteryV: 3.6, temperatureC: 20, rng: createRng(2), pingModel: QUIET }).levelM
    expect(at(1.234)).toBe(1.23)
    expect(at(1.236)).toBe(1.24)
    expect(at(-0.871)).toBe(-0.87)
    const quiet = measure({ mount: { sensorHeight: 5 }, trueLevelM: 2, time: 0, mode: 'observe', batteryV: 3.6, temperatureC: 20, rng: createRng(3), pingModel: QUIET })
    expect(quiet).toMatchObject({ levelM: 2, validPings: 20, totalPings: 20, spreadMm: 0, flags: [] })
  })

  it('the default model over many windows: echoes removed, every level within the noise + rounding of the truth', () => {
    const rng = createRng(seedFrom('sampling-test'))
    let echoes = 0
    let dropouts = 0
    let worst = 0
    for (let i = 0; i < 500; i++) {
      const pings = samplePings(3, DEFAULT_PING_MODEL, rng)
      expect(pings).toHaveLength(DEFAULT_PING_MODEL.pings)
      dropouts += pings.filter(p => Number.isNaN(p)).length
      const f = filterPings(pings)
      echoes += f.rejectedEchoes
      expect(f.valid + f.rejectedEchoes).toBe(pings.filter(p => Number.isFinite(p)).length)
      expect(f.distanceM).not.toBeNull()
      worst = Math.max(worst, Math.abs(f.distanceM! - 3))
      // every kept ping is near the truth: no false echo (0.2–0.8 × distance) survived
      expect(f.spreadMm).toBeLessThan(10)
    }
    // 2 % false echoes and 3 % dropouts of 10 000 pings: both happened, all echoes were rejected
    expect(echoes).toBeGreaterThan(100)
    expect(dropouts).toBeGreaterThan(150)
    // 4 mm noise per ping; the median of ~19 is good to a few mm
    expect(worst).toBeLessThan(0.006)
  })
})
