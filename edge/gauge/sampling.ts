import type { Rng } from '../../core/random.js'

/**
 * One measurement window of an ultrasonic / radar distance sensor: the device
 * pings once a second, some pings return nothing (dropouts), some return a
 * false echo (bridge pier, spider web, rain), and the rest carry sensor noise.
 */
export interface PingModel {
  /** pings per measurement; MLIT's low-cost gauge spec asks for ≥ 20 */
  pings: number
  /** 1σ distance noise, metres */
  noiseM: number
  dropoutRate: number
  falseEchoRate: number
}

export const DEFAULT_PING_MODEL: PingModel = { pings: 20, noiseM: 0.004, dropoutRate: 0.03, falseEchoRate: 0.02 }

/** Returns distances in metres; NaN for a dropout. */
export function samplePings (trueDistanceM: number, model: PingModel, rng: Rng): number[] {
  const out: number[] = []
  for (let i = 0; i < model.pings; i++) {
    const r = rng.next()
    if (r < model.dropoutRate) out.push(Number.NaN)
    else if (r < model.dropoutRate + model.falseEchoRate) out.push(trueDistanceM * (0.2 + 0.6 * rng.next()))
    else out.push(trueDistanceM + model.noiseM * rng.normal())
  }
  return out
}

export interface FilteredDistance {
  /** median of the accepted pings, metres; null when too few pings survived */
  distanceM: number | null
  /** robust spread 1.4826·MAD of accepted pings, millimetres */
  spreadMm: number
  valid: number
  total: number
  rejectedEchoes: number
}

/** pings within this many robust σ of the median are kept */
const MAD_CUTOFF = 3.5
/** floor for the robust σ so perfectly quiet pings are not all rejected by rounding */
const MIN_SIGMA_M = 0.002
/** fewer valid pings than this and the window is not trusted */
export const MIN_VALID_PINGS = 10

/** Median / MAD outlier rejection: insensitive to the minority of false echoes. */
export function filterPings (pings: number[]): FilteredDistance {
  const returned = pings.filter(p => Number.isFinite(p))
  if (returned.length === 0) return { distanceM: null, spreadMm: 0, valid: 0, total: pings.length, rejectedEchoes: 0 }
  const med = median(returned)
  const mad = median(returned.map(p => Math.abs(p - med)))
  const sigma = Math.max(1.4826 * mad, MIN_SIGMA_M)
  const kept = returned.filter(p => Math.abs(p - med) <= MAD_CUTOFF * sigma)
  const keptMed = median(kept)
  const keptMad = median(kept.map(p => Math.abs(p - keptMed)))
  return {
    distanceM: kept.length >= MIN_VALID_PINGS ? keptMed : null,
    spreadMm: 1.4826 * keptMad * 1000,
    valid: kept.length,
    total: pings.length,
    rejectedEchoes: returned.length - kept.length
  }
}

export function median (values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
