import { FRAME_V1_LENGTH } from '../../codecs/gauge-v1.js'

/**
 * Radio and battery model of a gauge (docs/gauge.md). Pure functions: the
 * simulator, the CLI (`mimamori sim --profile`) and the reporting tests use the
 * same numbers.
 */

/** LoRaWAN AS923 data rates at 125 kHz (RP002-1.0.x). */
export const AS923_DATA_RATES: Record<number, { sf: number, bwHz: number }> = {
  0: { sf: 12, bwHz: 125_000 },
  1: { sf: 11, bwHz: 125_000 },
  2: { sf: 10, bwHz: 125_000 },
  3: { sf: 9, bwHz: 125_000 },
  4: { sf: 8, bwHz: 125_000 },
  5: { sf: 7, bwHz: 125_000 },
  6: { sf: 7, bwHz: 250_000 }
}

/** MHDR 1 + FHDR 7 (no FOpts) + FPort 1 + MIC 4 */
export const LORAWAN_OVERHEAD_BYTES = 13
/** AS923 with UplinkDwellTime = 1, as required in Japan: one transmission ≤ 400 ms */
export const AS923_DWELL_LIMIT_MS = 400
/** ARIB STD-T108: total transmission time ≤ 360 s in any hour */
export const ARIB_T108_AIRTIME_PER_HOUR_MS = 360_000
/** ARIB STD-T108: one transmission ≤ 4 s */
export const ARIB_T108_MAX_TX_MS = 4_000

export interface LoraParams {
  sf: number
  bwHz: number
  /** application payload (FRMPayload) bytes */
  payloadBytes: number
  /** coding rate denominator − 4: 1 = 4/5 … 4 = 4/8 */
  codingRate?: number
  preambleSymbols?: number
  explicitHeader?: boolean
  crc?: boolean
}

/**
 * Time on air of one LoRa packet (Semtech AN1200.13 / SX1276 datasheet §4.1.1.7).
 * Low data-rate optimisation is on when a symbol lasts ≥ 16 ms (SF11/12 at 125 kHz).
 */
export function loraAirtimeMs (p: LoraParams): number {
  const cr = p.codingRate ?? 1
  const nPreamble = p.preambleSymbols ?? 8
  const h = (p.explicitHeader ?? true) ? 0 : 1
  const crc = (p.crc ?? true) ? 1 : 0
  const tSym = (2 ** p.sf) / p.bwHz * 1000
  const de = tSym >= 16 ? 1 : 0
  const pl = p.payloadBytes + LORAWAN_OVERHEAD_BYTES
  const tPreamble = (nPreamble + 4.25) * tSym
  const payloadSymbols = 8 + Math.max(Math.ceil((8 * pl - 4 * p.sf + 28 + 16 * crc - 20 * h) / (4 * (p.sf - 2 * de))) * (cr + 4), 0)
  return tPreamble + payloadSymbols * tSym
}

export function as923AirtimeMs (dataRate: number, payloadBytes = FRAME_V1_LENGTH): number {
  const dr = AS923_DATA_RATES[dataRate]
  if (dr === undefined) throw new RangeError(`AS923 data rate DR${dataRate} is not defined (0..6)`)
  return loraAirtimeMs({ sf: dr.sf, bwHz: dr.bwHz, payloadBytes })
}

/**
 * ARIB STD-T108 airtime budget over a sliding hour. The device asks before
 * every transmission; a refused frame waits (store-and-forward), it is not dropped.
 */
export interface AirtimeLimiter {
  /** ms from `now` until a transmission of `airtimeMs` fits the budget; 0 = now */
  waitMs(now: number, airtimeMs: number): number
  /** records a transmission; throws if it would exceed the budget (callers check waitMs first) */
  record(now: number, airtimeMs: number): void
  usedMs(now: number): number
}

export function createAirtimeLimiter (budgetPerHourMs = ARIB_T108_AIRTIME_PER_HOUR_MS): AirtimeLimiter {
  const HOUR = 3_600_000
  const sent: Array<{ at: number, ms: number }> = []
  const trim = (now: number): void => { while (sent.length > 0 && sent[0]!.at <= now - HOUR) sent.shift() }
  const used = (now: number): number => { trim(now); return sent.reduce((s, x) => s + x.ms, 0) }
  const limiter: AirtimeLimiter = {
    usedMs: used,
    waitMs (now, airtimeMs) {
      if (airtimeMs > ARIB_T108_MAX_TX_MS) return Number.POSITIVE_INFINITY
      let total = used(now)
      if (total + airtimeMs <= budgetPerHourMs) return 0
      // the oldest transmissions leave the window one by one
      for (const s of sent) {
        total -= s.ms
        if (total + airtimeMs <= budgetPerHourMs) return s.at + HOUR - now
      }
      return Number.POSITIVE_INFINITY
    },
    record (now, airtimeMs) {
      if (limiter.waitMs(now, airtimeMs) > 0) throw new RangeError(`transmission of ${airtimeMs.toFixed(0)} ms would exceed the ARIB T108 budget of ${budgetPerHourMs} ms/hour`)
      sent.push({ at: now, ms: airtimeMs })
    }
  }
  return limiter
}

/** Electrical profile of the gauge. Defaults: a D-size Li-SOCl2 cell, ultrasonic sensor, SX1262-class radio at 13 dBm. */
export interface EnergyProfile {
  /** nominal capacity, mAh */
  batteryMah: number
  /** fraction usable before cut-off (temperature, passivation, end-of-life reserve) */
  usableFraction: number
  /** self-discharge per year, fraction of nominal capacity */
  selfDischargePerYear: number
  /** MCU + radio + RTC asleep, mA */
  sleepMa: number
  /** sensor + MCU while pinging, mA */
  measureMa: number
  /** one measurement: warm-up plus pings at 1 per second, s */
  measureSeconds: number
  /** radio transmitting, mA */
  txMa: number
  /** RX1/RX2 windows and MCU around one uplink: receive current, mA, and time, ms */
  rxMa: number
  rxWindowMs: number
}

export const DEFAULT_ENERGY_PROFILE: EnergyProfile = {
  batteryMah: 19_000, // ER34615 (D) 3.6 V
  usableFraction: 0.8,
  selfDischargePerYear: 0.01,
  sleepMa: 0.006,
  measureMa: 4.5,
  measureSeconds: 22, // 1 s warm-up + 20 pings + 1 s margin
  txMa: 45,
  rxMa: 11,
  rxWindowMs: 250
}

export interface UsageProfile {
  measurementsPerDay: number
  uplinksPerDay: number
  /** AS923 data rate of uplinks */
  dataRate: number
  payloadBytes?: number
}

export interface BatteryEstimate {
  airtimeMs: number
  mAhPerDay: number
  breakdown: { sleep: number, measure: number, radio: number, selfDischarge: number }
  years: number
  /** airtime per day, s (for the ARIB check a day's worth is far below 24 × 360 s) */
  airtimePerDayS: number
}

export function estimateBattery (usage: UsageProfile, profile: EnergyProfile = DEFAULT_ENERGY_PROFILE): BatteryEstimate {
  const airtimeMs = as923AirtimeMs(usage.dataRate, usage.payloadBytes ?? FRAME_V1_LENGTH)
  const mAs = (ma: number, s: number): number => ma * s / 3600
  const activeS = usage.measurementsPerDay * profile.measureSeconds + usage.uplinksPerDay * (airtimeMs + profile.rxWindowMs) / 1000
  const sleep = mAs(profile.sleepMa, Math.max(0, 86_400 - activeS))
  const measure = usage.measurementsPerDay * mAs(profile.measureMa, profile.measureSeconds)
  const radio = usage.uplinksPerDay * (mAs(profile.txMa, airtimeMs / 1000) + mAs(profile.rxMa, profile.rxWindowMs / 1000))
  const selfDischarge = profile.batteryMah * profile.selfDischargePerYear / 365
  const mAhPerDay = sleep + measure + radio + selfDischarge
  return {
    airtimeMs,
    mAhPerDay,
    breakdown: { sleep, measure, radio, selfDischarge },
    years: profile.batteryMah * profile.usableFraction / mAhPerDay / 365,
    airtimePerDayS: usage.uplinksPerDay * airtimeMs / 1000
  }
}
