import { classifyLevel } from '../levels.js'
import type { LevelStatus, Reading, Thresholds } from '../types.js'
import { valueTrusted } from './qc-flags.js'

/** the next reading confirms a suspect one when it is nearer to it than to the level before it */
export function supports (suspect: number, before: number | null, next: number): boolean {
  if (before === null) return true
  return Math.abs(next - suspect) <= Math.abs(next - before)
}

/**
 * The station's live MLIT band (map colour, `statusChange`) under the same rule
 * the alerts use: a passing reading sets it; a suspect one (QC flag 3) only once
 * the next reading is trusted and supports it; failed (4) and missing (9)
 * readings never move it. Feed readings of one station in time order.
 */
export interface BandTracker {
  readonly band: LevelStatus | undefined
  /** the bands this reading settles, in order (a confirmed suspect one first); empty when the band stays */
  step(reading: Pick<Reading, 'level' | 'qc'>): Array<{ status: LevelStatus, level: number }>
}

export function createBandTracker (thresholds: () => Thresholds, seed?: LevelStatus): BandTracker {
  let band = seed
  let lastLevel: number | null = null
  let held: { level: number, before: number | null } | undefined
  /** built only when the band moves (nearly never, per reading): most steps return NONE */
  let settled: Array<{ status: LevelStatus, level: number }> | undefined
  const settle = (level: number): void => {
    lastLevel = level
    const status = classifyLevel(level, thresholds())
    if (status !== band) (settled ??= []).push({ status, level })
    band = status
  }
  return {
    get band () { return band },
    step (r) {
      const flag = r.qc?.flag ?? 1
      if (flag === 4 || flag === 9 || !Number.isFinite(r.level)) return NONE
      settled = undefined
      if (held !== undefined) {
        const h = held
        held = undefined
        if (valueTrusted(r.qc) && supports(h.level, h.before, r.level)) settle(h.level)
      }
      if (flag === 1 || valueTrusted(r.qc)) settle(r.level)
      else held = { level: r.level, before: lastLevel }
      const out = settled ?? NONE
      settled = undefined
      return out
    }
  }
}

/** the shared empty answer of step(); callers only read it */
const NONE: Array<{ status: LevelStatus, level: number }> = []
Object.freeze(NONE)

/** The live band after a station's readings (oldest first), for the REST view; undefined before any trusted level. */
export function liveBand (readings: ReadonlyArray<Pick<Reading, 'level' | 'qc'>>, thresholds: Thresholds): LevelStatus | undefined {
  const t = createBandTracker(() => thresholds)
  for (const r of readings) t.step(r)
  return t.band
}
