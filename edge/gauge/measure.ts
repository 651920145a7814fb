import type { Rng } from '../../core/random.js'
import type { DeviceFlagName, GaugeMode, GaugeUplinkInput } from '../../codecs/gauge-v1.js'
import { DEFAULT_PING_MODEL, filterPings, samplePings, type PingModel } from './sampling.js'

export interface GaugeMount {
  /** sensor face above the gauge zero, metres */
  sensorHeight: number
}

export interface MeasureInput {
  mount: GaugeMount
  trueLevelM: number
  time: number
  mode: GaugeMode
  batteryV: number
  temperatureC: number
  rng: Rng
  pingModel?: PingModel
}

const LOW_BATTERY_V = 3.3
const HIGH_SPREAD_MM = 50

/**
 * A full measurement as the firmware does it: ping, filter, convert distance
 * to level (level = sensor height − distance), round to 1 cm, set flags.
 */
export function measure (m: MeasureInput): GaugeUplinkInput {
  const model = m.pingModel ?? DEFAULT_PING_MODEL
  const trueDistance = m.mount.sensorHeight - m.trueLevelM
  const f = filterPings(samplePings(trueDistance, model, m.rng))
  const flags: DeviceFlagName[] = []
  if (f.distanceM === null) flags.push('fewValidPings', 'sensorError')
  if (f.spreadMm > HIGH_SPREAD_MM) flags.push('highSpread')
  if (f.rejectedEchoes > 0) flags.push('echoesRejected')
  if (m.batteryV < LOW_BATTERY_V) flags.push('lowBattery')
  const level = f.distanceM === null ? null : Math.round((m.mount.sensorHeight - f.distanceM) * 100) / 100
  return {
    type: 'measurement',
    mode: m.mode,
    levelM: level,
    flags,
    batteryV: m.batteryV,
    temperatureC: m.temperatureC,
    spreadMm: f.spreadMm,
    validPings: f.valid,
    totalPings: f.total,
    time: m.time
  }
}
