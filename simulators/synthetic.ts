import type { Camera, Station } from '../core/types.js'
import { createRng } from '../core/random.js'

/**
 * A prefecture-sized fleet made up from a seed: `mimamori sim --gauges N --cameras M`
 * and the scale bench (bench/scale) give the platform and the simulator the same
 * list, so the platform knows every device the simulator speaks for. Same seed,
 * same fleet (ids, places, thresholds); the gauges' measurements are seeded by
 * their device ids (simulators/gauge-device.ts), so a run is reproducible.
 */
export interface SyntheticFleetOptions {
  gauges: number
  cameras: number
  seed: number
  /** centre and spread of the area, degrees (default: 山形県 庄内, about 60 × 60 km) */
  center?: [number, number]
  spreadDeg?: number
}

export function syntheticFleet (o: SyntheticFleetOptions): { stations: Station[], cameras: Camera[] } {
  const rng = createRng(o.seed)
  const [lat0, lon0] = o.center ?? [38.75, 139.85]
  const spread = o.spreadDeg ?? 0.6
  const pad = (i: number): string => String(i + 1).padStart(6, '0')
  const stations: Station[] = Array.from({ length: o.gauges }, (_, i) => {
    // thresholds of a small river: standby 0.5–1.5 m, the bands ~0.3–0.6 m apart
    const standby = Math.round((0.5 + rng.next()) * 100) / 100
    const band = 0.3 + rng.next() * 0.3
    const r2 = (x: number): number => Math.round(x * 100) / 100
    return {
      id: `sim-st-${pad(i)}`,
      name: `模擬観測局 ${i + 1}`,
      nameEn: `Simulated station ${i + 1}`,
      river: '模擬川',
      lat: Math.round((lat0 + (rng.next() - 0.5) * spread) * 1e4) / 1e4,
      lon: Math.round((lon0 + (rng.next() - 0.5) * spread) * 1e4) / 1e4,
      deviceId: `sim-g-${pad(i)}`,
      datum: r2(rng.next() * 20),
      sensorHeight: r2(standby + 5 * band + 1),
      thresholds: { observationStart: r2(standby * 0.7), standby, caution: r2(standby + band), evacuationJudgement: r2(standby + 2 * band), danger: r2(standby + 3 * band), flooding: r2(standby + 4 * band) }
    }
  })
  const cameras: Camera[] = Array.from({ length: o.cameras }, (_, i) => ({
    id: `sim-cam-${pad(i)}`,
    name: `模擬カメラ ${i + 1}`,
    nameEn: `Simulated camera ${i + 1}`,
    lat: Math.round((lat0 + (rng.next() - 0.5) * spread) * 1e4) / 1e4,
    lon: Math.round((lon0 + (rng.next() - 0.5) * spread) * 1e4) / 1e4
  }))
  return { stations, cameras }
}
