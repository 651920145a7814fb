import { classifyLevel } from '../../../core/levels.js'
import type { LevelStatus, StationStatus, Thresholds } from './types.js'

/**
 * MLIT / JMA colour convention for river level bands (川の防災情報, キキクル):
 * black Lv5, purple Lv4, red Lv3, yellow Lv2; standby white, calm blue.
 */
export interface StatusStyle {
  fill: string
  stroke: string
  /** text colour on a chip filled with `fill` */
  text: string
  /** marker radius in px: worse bands draw larger */
  radius: number
}

export const STATUS_STYLE: Record<StationStatus, StatusStyle> = {
  normal: { fill: '#2b8cbe', stroke: '#0b3a57', text: '#ffffff', radius: 8 },
  standby: { fill: '#ffffff', stroke: '#4b5563', text: '#1f2937', radius: 9 },
  caution: { fill: '#f2e700', stroke: '#5c5700', text: '#1f1d00', radius: 10 },
  evacuationJudgement: { fill: '#ff2800', stroke: '#6b1000', text: '#ffffff', radius: 11 },
  danger: { fill: '#aa00aa', stroke: '#3d003d', text: '#ffffff', radius: 12 },
  flooding: { fill: '#0c000c', stroke: '#ffffff', text: '#ffffff', radius: 13 },
  unknown: { fill: '#a3a9b1', stroke: '#4b5563', text: '#1f2937', radius: 7 }
}

/** worst first: the order of the legend and of the station list */
export const STATUS_ORDER: readonly StationStatus[] = ['flooding', 'danger', 'evacuationJudgement', 'caution', 'standby', 'normal', 'unknown']

/** The five MLIT thresholds, highest first, with the band reached at each. */
export const THRESHOLD_BANDS: ReadonlyArray<{ key: keyof Thresholds, band: LevelStatus }> = [
  { key: 'flooding', band: 'flooding' },
  { key: 'danger', band: 'danger' },
  { key: 'evacuationJudgement', band: 'evacuationJudgement' },
  { key: 'caution', band: 'caution' },
  { key: 'standby', band: 'standby' }
]

export function severity (status: StationStatus): number {
  switch (status) {
    case 'unknown': return -1
    case 'normal': return 0
    case 'standby': return 1
    case 'caution': return 2
    case 'evacuationJudgement': return 3
    case 'danger': return 4
    case 'flooding': return 5
  }
}

/** Lv2…Lv5 (警戒レベル相当) where the band has one */
export function alertLevel (status: StationStatus): 2 | 3 | 4 | 5 | null {
  switch (status) {
    case 'caution': return 2
    case 'evacuationJudgement': return 3
    case 'danger': return 4
    case 'flooding': return 5
    default: return null
  }
}

/** The server's rule itself (core/levels.ts): reaching a threshold counts. */
export function classify (level: number, t: Thresholds): LevelStatus {
  return classifyLevel(level, t)
}

/** The next threshold above `level`, or null once the top one is reached. */
export function nextThreshold (level: number, t: Thresholds): { key: keyof Thresholds, band: LevelStatus, value: number } | null {
  for (let i = THRESHOLD_BANDS.length - 1; i >= 0; i--) {
    const entry = THRESHOLD_BANDS[i]!
    const value = t[entry.key]
    if (value !== undefined && value > level) return { key: entry.key, band: entry.band, value }
  }
  return null
}
