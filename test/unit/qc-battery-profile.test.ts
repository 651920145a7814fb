import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import type { Station } from '../../core/types.js'
import { checkSample, createQcState, qcSettings } from '../../ingest/qc/index.js'

const station = (profile?: string): Station => ({
  id: 'st-b', name: '電池', river: '川', lat: 38.7, lon: 139.8, deviceId: 'dev-b', datum: 0, sensorHeight: 4,
  thresholds: { observationStart: 0.5, standby: 2, caution: 2.8, evacuationJudgement: 3.6, danger: 3.8, flooding: 3.9 },
  ...(profile === undefined ? {} : { profile })
} as Station)

describe('QC battery limits follow the device profile', () => {
  const config = loadConfig({})

  it('a Decentlab sensor at its normal 3.0 V passes; our gauge at 3.0 V is a brown-out', () => {
    const vendor = qcSettings(config, station('decentlab-dl-mbx'))
    const ours = qcSettings(config, station())
    expect([vendor.batterySuspectV, vendor.batteryFailV]).toEqual([2.4, 2.2])
    expect([ours.batterySuspectV, ours.batteryFailV]).toEqual([config.river.qc.batterySuspectV, config.river.qc.batteryFailV])
    const sample = { time: 1_764_000_000_000, receivedAt: 1_764_000_000_000, level: 1.2, batteryV: 2.993 }
    expect(checkSample(createQcState(), sample, vendor).qc.tests.lowBattery).toBeUndefined()
    expect(checkSample(createQcState(), sample, ours).qc.tests.lowBattery).toBe(4)
    expect(checkSample(createQcState(), { ...sample, batteryV: 2.1 }, vendor).qc.tests.lowBattery).toBe(4)
  })

  it('a configured profile sets its own limits', () => {
    const c = loadConfig({ overrides: { lorawan: { profiles: [{ id: 'town-level', vendor: 'Town', model: 'L1', codec: 'town/l1', measures: 'distance', field: 'd', unit: 'mm', battery: { field: 'b', unit: 'V', suspectV: 3.5, failV: 3.4 } }] } } })
    expect(qcSettings(c, station('town-level')).batteryFailV).toBe(3.4)
  })
})
