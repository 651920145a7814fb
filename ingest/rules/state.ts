import type { AlertSignal } from '../../alerts/index.js'
import type { Reading, Station } from '../../core/types.js'
import type { CrossingState } from '../../core/river/thresholds.js'
import type { RuleSettings } from './settings.js'

export const RIVER_KIND = 'river'

export interface StationState {
  /** newest data time seen (any flag): silence is about the station talking at all */
  lastTime: number | null
  /** newest trusted level */
  lastLevel: number | null
  /** a suspect reading waiting for the next one to confirm it */
  held: { reading: Reading, before: number | null } | undefined
  crossings: Map<string, CrossingState>
  trend: Array<{ time: number, level: number }>
  rateActive: boolean
  forecastActive: boolean
  /** frames in a row without a level (QC flag 9) */
  missing: number
  /** a `silent` alert may be open: only then does a reading clear it (no alert transaction per reading) */
  silentOpen: boolean
  /** recent intervals between frames (data time), for the station's usual cadence */
  intervals: number[]
  /** the reading being judged is history (received long after its time): set per reading in process() */
  historicalNow: boolean
  /** threshold rules whose open alert was raised from history and not announced yet */
  historicalOpen: Set<string>
}

export function newStationState (): StationState {
  return { lastTime: null, lastLevel: null, held: undefined, crossings: new Map(), trend: [], rateActive: false, forecastActive: false, missing: 0, silentOpen: false, intervals: [], historicalNow: false, historicalOpen: new Set() }
}

export type Signal = Omit<AlertSignal, 'kind' | 'subjectId' | 'rule' | 'drill'>
export interface AlertRefOf { kind: string, subjectId: string, rule: string, drill: boolean }

export const signalOf = (station: Station, o: RuleSettings, rule: string, rest: Signal): AlertSignal =>
  ({ kind: RIVER_KIND, subjectId: station.id, rule, drill: o.drill, ...rest })
export const refOf = (station: Station, o: RuleSettings, rule: string): AlertRefOf =>
  ({ kind: RIVER_KIND, subjectId: station.id, rule, drill: o.drill })
