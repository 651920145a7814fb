import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type DeepPartial } from '../../core/config/load.js'
import type { Config, StationConfig } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import type { Alert } from '../../core/types.js'
import { createApp, type App, type AppInfo } from '../../cli/app.js'
import { createReplayClock, interpolated, type RecordedPoint, type ReplayClock } from '../../simulators/replay/index.js'
import { DEFAULT_PING_MODEL, MIN_VALID_PINGS } from '../../edge/gauge/sampling.js'
import { demoConfigFile } from './app.js'
import { tokenFor, useToken } from './auth.js'

export interface RiverTestApp {
  app: App
  info: AppInfo
  config: Config
  clock: ReplayClock
  /** resolves when ingest has emitted the reading (or the gap, flag 9) for (station, time); 2 s fallback for refused frames */
  settle: (stationId: string) => (time: number) => Promise<void>
  /** every alert bus event, in order */
  alertEvents: Array<{ alert: Alert, from: string | null, to: string }>
  close(): Promise<void>
}

/** The real all-in-one on ephemeral ports, driven by a data-time clock for replays. */
export async function startRiverApp (stations: StationConfig[], overrides: DeepPartial<Config> = {}, start = 0): Promise<RiverTestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-river-'))
  const config = loadConfig({
    file: demoConfigFile(),
    overrides: { dataDir, log: { level: 'silent' }, broker: { port: 0, wsPort: 0 }, dashboard: { port: 0, auth: { demoLogin: false } }, sim: { enabled: false }, cameras: [], ...overrides, stations } as DeepPartial<Config>
  })
  const clock = createReplayClock(start)
  const app = createApp({ config, logger: silentLogger(), clock: clock.now })
  const info = await app.start()
  // apiFetch/openSse send the test admin's token to this dashboard (test/helpers/auth.ts)
  useToken(info.dashboardUrl, await tokenFor(config, 'test-admin', 'admin'))
  const alertEvents: RiverTestApp['alertEvents'] = []
  const waiters = new Map<string, () => void>()
  const key = {}
  app.bus.on('alert', key, e => { alertEvents.push(e) })
  const arrived = ({ reading }: { reading: { stationId: string, time: number } }): void => {
    const k = `${reading.stationId}@${reading.time}`
    waiters.get(k)?.()
    waiters.delete(k)
  }
  app.bus.on('reading', key, arrived)
  app.bus.on('missingReading', key, arrived)
  return {
    app,
    info,
    config,
    clock,
    alertEvents,
    settle: stationId => async time => {
      await new Promise<void>(resolve => {
        const timer = setTimeout(() => { waiters.delete(`${stationId}@${time}`); resolve() }, 2000)
        waiters.set(`${stationId}@${time}`, () => { clearTimeout(timer); resolve() })
      })
    },
    async close () {
      app.bus.removeListeners(key)
      await app.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

export function riverStation (id: string, thresholds: StationConfig['thresholds'], extra: Partial<StationConfig> = {}): StationConfig {
  return {
    id,
    name: id,
    nameEn: id,
    river: '久慈川',
    lat: 36.5,
    lon: 140.5,
    deviceId: `gauge-${id}`,
    datum: 0,
    sensorHeight: 6,
    thresholds,
    ...extra
  }
}

/**
 * How far below a threshold the true level may be when a reading already shows it reached:
 * the gauge rounds to 1 cm (a true 5 mm under reads as the threshold) and reports the median
 * of ≥ MIN_VALID_PINGS pings whose noise σ is DEFAULT_PING_MODEL.noiseM; the median's standard
 * error is ≈ 1.2533·σ/√n, and 4 of those cover every honest reading. With the defaults:
 * 5 + 4 · 1.2533 · 4 mm / √10 ≈ 11.3 mm.
 */
export const NOISE_BAND_M = 0.005 + 4 * 1.2533 * DEFAULT_PING_MODEL.noiseM / Math.sqrt(MIN_VALID_PINGS)

/**
 * The earliest an alert for an upward crossing may honestly come: the time the true
 * (interpolated) hydrograph needs to rise through NOISE_BAND_M below the threshold before the
 * crossing. Steep rises give seconds, a level creeping along the threshold gives longer.
 */
export function earlyTolerance (points: readonly RecordedPoint[], crossing: number, threshold: number): number {
  const level = interpolated(points)
  const floor = threshold - NOISE_BAND_M
  let i = points.findIndex(p => p.time >= crossing) - 1
  // walk back to the recorded point below the band, then solve its segment exactly
  while (i > 0 && points[i]!.level >= floor) i--
  const a = points[Math.max(i, 0)]!
  if (a.level >= floor) return crossing - a.time
  let lo = a.time
  let hi = crossing
  while (hi - lo > 1000) {
    const mid = (lo + hi) / 2
    if (level(mid) < floor) lo = mid
    else hi = mid
  }
  return crossing - lo
}
