import type { Station } from '../core/types.js'

/** True water level over time for a simulated station (metres on the gauge datum). */
export type LevelScenario = (timeMs: number) => number

/**
 * Demo hydrographs: most stations sit calm with a gentle diurnal-like wave;
 * one (the first) runs a compressed flood pulse through every MLIT band so a
 * visitor sees markers change colour within minutes of `npm start`.
 */
export function demoScenario (station: Station, index: number, startMs: number): LevelScenario {
  const t = station.thresholds
  const calm = t.standby * 0.45
  if (index === 0) {
    const periodMs = 12 * 60_000
    const peak = t.flooding + 0.15
    return time => {
      const phase = ((time - startMs) % periodMs) / periodMs
      // raised cosine: quick rise, slower recession, like a real hydrograph
      const shape = phase < 0.4 ? 0.5 - 0.5 * Math.cos(Math.PI * phase / 0.4) : 0.5 + 0.5 * Math.cos(Math.PI * (phase - 0.4) / 0.6)
      return calm + (peak - calm) * shape
    }
  }
  if (index === 2) {
    // one station stays in 氾濫注意 so the legend's yellow is on screen
    const mid = (t.caution + t.evacuationJudgement) / 2
    return time => mid + 0.08 * Math.sin((time - startMs) / 90_000)
  }
  return time => calm + 0.06 * Math.sin((time - startMs) / 120_000 + index)
}
