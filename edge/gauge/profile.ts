import { createRng, seedFrom } from '../../core/random.js'
import type { Station } from '../../core/types.js'
import { FRAME_V1_LENGTH } from '../../codecs/gauge-v1.js'
import { ARIB_T108_AIRTIME_PER_HOUR_MS, estimateBattery, type BatteryEstimate, type EnergyProfile, DEFAULT_ENERGY_PROFILE } from './energy.js'
import { measure } from './measure.js'
import { createReportingPolicy, type ReportingSettings } from './reporting.js'

const DAY = 86_400_000

export interface StationEnergyProfile {
  stationId: string
  frameBytes: number
  dataRate: number
  airtimeMs: number
  /** share of the ARIB T108 hourly budget used in the busiest hour of 観測 mode */
  aribShareObserve: number
  calm: { uplinksPerDay: number, measurementsPerDay: number, battery: BatteryEstimate }
  fixed10min: { uplinksPerDay: number, battery: BatteryEstimate }
  observe: { uplinksPerDay: number, battery: BatteryEstimate }
}

/**
 * A calm year at a station: 観測開始水位 never reached; seasonal swing, a
 * daily cycle and small freshets, measured with the real ping model and
 * reported by the real policy. Returns what the battery budget needs.
 */
export function stationEnergyProfile (station: Station, o: { dataRate?: number, reporting?: Partial<ReportingSettings>, energy?: EnergyProfile, days?: number } = {}): StationEnergyProfile {
  const dataRate = o.dataRate ?? 2
  const days = o.days ?? 365
  const obsStart = station.thresholds.observationStart ?? station.thresholds.standby
  const base = Math.max(0.05, obsStart * 0.45)
  const t0 = Date.UTC(2025, 0, 1)
  const level = (t: number): number => {
    const day = (t - t0) / DAY
    const freshets = [40, 130, 200, 290].reduce((s, c) => s + obsStart * 0.35 * Math.exp(-(((day - c) * 3) ** 2)), 0)
    return base + obsStart * 0.1 * Math.sin(2 * Math.PI * day / 365) + 0.015 * Math.sin(2 * Math.PI * day) + freshets
  }
  const policy = createReportingPolicy({ observationStartM: obsStart, ...o.reporting })
  const rng = createRng(seedFrom(station.id))
  let measurements = 0
  let uplinks = 0
  for (let time = t0; time < t0 + days * DAY;) {
    const m = measure({ mount: { sensorHeight: station.sensorHeight }, trueLevelM: level(time), time, mode: policy.mode, batteryV: 3.6, temperatureC: 15, rng })
    const d = policy.onMeasurement(time, m.levelM)
    measurements++
    if (d.report) uplinks++
    time = d.nextMeasurementAt
  }
  const energy = o.energy ?? DEFAULT_ENERGY_PROFILE
  const calm = { uplinksPerDay: uplinks / days, measurementsPerDay: measurements / days }
  const observePerDay = 1440 / policy.settings.observeIntervalMin
  const calmBattery = estimateBattery({ ...calm, dataRate }, energy)
  return {
    stationId: station.id,
    frameBytes: FRAME_V1_LENGTH,
    dataRate,
    airtimeMs: calmBattery.airtimeMs,
    aribShareObserve: (60 / policy.settings.observeIntervalMin) * calmBattery.airtimeMs / ARIB_T108_AIRTIME_PER_HOUR_MS,
    calm: { ...calm, battery: calmBattery },
    fixed10min: { uplinksPerDay: 144, battery: estimateBattery({ measurementsPerDay: 144, uplinksPerDay: 144, dataRate }, energy) },
    observe: { uplinksPerDay: observePerDay, battery: estimateBattery({ measurementsPerDay: observePerDay, uplinksPerDay: observePerDay, dataRate }, energy) }
  }
}
