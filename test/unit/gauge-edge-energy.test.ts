import { describe, expect, it } from 'vitest'
import {
  ARIB_T108_AIRTIME_PER_HOUR_MS, AS923_DWELL_LIMIT_MS, as923AirtimeMs, createAirtimeLimiter, DEFAULT_ENERGY_PROFILE,
  estimateBattery, loraAirtimeMs
} from '../../edge/gauge/energy.js'
import { FRAME_V1_LENGTH } from '../../codecs/gauge-v1.js'

describe('LoRa AS923 airtime (Semtech formula)', () => {
  it('matches the reference values for the 11-byte frame (24-byte PHY payload) at SF7, SF10 and SF12', () => {
    // Reference: Semtech LoRa calculator / TTN airtime calculator, 125 kHz, CR 4/5, 8-symbol preamble, explicit header, CRC on.
    expect(as923AirtimeMs(5)).toBeCloseTo(61.696, 2) // SF7
    expect(as923AirtimeMs(2)).toBeCloseTo(370.688, 2) // SF10
    expect(as923AirtimeMs(0)).toBeCloseTo(1482.752, 2) // SF12, low data-rate optimisation on
    expect(loraAirtimeMs({ sf: 9, bwHz: 125_000, payloadBytes: FRAME_V1_LENGTH })).toBeCloseTo(205.824, 2)
  })

  it('fits the frame in the 400 ms AS923 dwell limit at DR2 but not at DR1', () => {
    expect(as923AirtimeMs(2)).toBeLessThanOrEqual(AS923_DWELL_LIMIT_MS)
    expect(as923AirtimeMs(1)).toBeGreaterThan(AS923_DWELL_LIMIT_MS)
    // one byte more and DR2 goes over: the 11-byte frame is the largest that fits
    expect(as923AirtimeMs(2, FRAME_V1_LENGTH + 2)).toBeGreaterThan(AS923_DWELL_LIMIT_MS)
  })

  it('rejects a data rate AS923 does not define', () => {
    expect(() => as923AirtimeMs(9)).toThrow(RangeError)
  })
})

describe('ARIB STD-T108 airtime budget (≤ 360 s per hour)', () => {
  it('refuses the transmission that would exceed 360 s in a sliding hour and says when it fits', () => {
    const lim = createAirtimeLimiter()
    const air = as923AirtimeMs(0) // SF12, worst case
    const fit = Math.floor(ARIB_T108_AIRTIME_PER_HOUR_MS / air)
    const t0 = Date.UTC(2025, 5, 1)
    for (let i = 0; i < fit; i++) {
      const now = t0 + i * 1000
      expect(lim.waitMs(now, air)).toBe(0)
      lim.record(now, air)
    }
    const now = t0 + fit * 1000
    expect(lim.usedMs(now)).toBeLessThanOrEqual(ARIB_T108_AIRTIME_PER_HOUR_MS)
    const wait = lim.waitMs(now, air)
    // the first transmission leaves the window one hour after it was sent
    expect(wait).toBe(t0 + 3_600_000 - now)
    expect(() => { lim.record(now, air) }).toThrow(RangeError)
    expect(lim.waitMs(now + wait, air)).toBe(0)
  })

  it('refuses a single transmission longer than 4 s outright', () => {
    expect(createAirtimeLimiter().waitMs(0, 4001)).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('battery model', () => {
  it('adds up sleep, measurement, radio and self-discharge', () => {
    const e = estimateBattery({ measurementsPerDay: 144, uplinksPerDay: 144, dataRate: 2 })
    const { sleep, measure, radio, selfDischarge } = e.breakdown
    expect(e.mAhPerDay).toBeCloseTo(sleep + measure + radio + selfDischarge, 9)
    expect(measure).toBeCloseTo(144 * DEFAULT_ENERGY_PROFILE.measureMa * DEFAULT_ENERGY_PROFILE.measureSeconds / 3600, 9)
    expect(e.years).toBeCloseTo(DEFAULT_ENERGY_PROFILE.batteryMah * DEFAULT_ENERGY_PROFILE.usableFraction / e.mAhPerDay / 365, 9)
  })

  it('costs more per uplink at a slower data rate, and more with more uplinks', () => {
    const base = { measurementsPerDay: 144, uplinksPerDay: 144 }
    expect(estimateBattery({ ...base, dataRate: 0 }).years).toBeLessThan(estimateBattery({ ...base, dataRate: 2 }).years)
    expect(estimateBattery({ ...base, uplinksPerDay: 2, dataRate: 2 }).years).toBeGreaterThan(estimateBattery({ ...base, dataRate: 2 }).years)
  })
})
