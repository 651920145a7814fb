import type { Station } from '../../core/types.js'

/** the bench gauges' ids and stations, shared by the generator, the runner and the peer's flow */
export function benchDeviceId (i: number): string {
  return `bench-g-${String(i).padStart(5, '0')}`
}

export function benchStations (n: number): Station[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `bench-s-${String(i).padStart(5, '0')}`,
    name: `ベンチ観測所 ${i}`,
    nameEn: `Bench station ${i}`,
    river: 'ベンチ川',
    lat: 38.7 + (i % 100) / 1000,
    lon: 139.8 + Math.floor(i / 100) / 1000,
    deviceId: benchDeviceId(i),
    datum: 0,
    sensorHeight: 8,
    // above anything the generator sends: the rules run on every reading but raise nothing
    thresholds: { observationStart: 2.5, standby: 3, caution: 4, evacuationJudgement: 5, danger: 6, flooding: 7 }
  }))
}
