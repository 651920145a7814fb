import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type DeepPartial } from '../../core/config/load.js'
import type { Config, StationConfig } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import type { Alert } from '../../core/types.js'
import { createApp, type App, type AppInfo } from '../../cli/app.js'
import { createReplayClock, type ReplayClock } from '../../simulators/replay/index.js'
import { demoConfigFile } from './app.js'

export interface RiverTestApp {
  app: App
  info: AppInfo
  config: Config
  clock: ReplayClock
  /** resolves when ingest has emitted the reading for (station, time); 2 s fallback for frames that carry no level */
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
    overrides: { dataDir, log: { level: 'silent' }, broker: { port: 0, wsPort: 0 }, dashboard: { port: 0 }, sim: { enabled: false }, cameras: [], ...overrides, stations } as DeepPartial<Config>
  })
  const clock = createReplayClock(start)
  const app = createApp({ config, logger: silentLogger(), clock: clock.now })
  const info = await app.start()
  const alertEvents: RiverTestApp['alertEvents'] = []
  const waiters = new Map<string, () => void>()
  const key = {}
  app.bus.on('alert', key, e => { alertEvents.push(e) })
  app.bus.on('reading', key, ({ reading }) => {
    const k = `${reading.stationId}@${reading.time}`
    waiters.get(k)?.()
    waiters.delete(k)
  })
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
