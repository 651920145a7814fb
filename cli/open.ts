import { resolve } from 'node:path'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { createEmbeddedStore } from '../store/embedded.js'
import { createInfluxStore } from '../store/influx.js'
import type { Store } from '../store/store.js'
import { createDeviceRegistry, type DeviceRegistry } from '../broker/registry.js'
import type { DeviceAccounts } from '../core/fleet/types.js'

export function openStore (config: Config, logger: Logger, { drain = true }: { drain?: boolean } = {}): Store {
  const file = resolve(config.dataDir, config.store.file)
  const embedded = createEmbeddedStore({ file, logger })
  // The configuration file seeds the fleet registry (store/fleet.ts): an entry is added when new and
  // applied when it changed since the last start; otherwise what staff changed on the fleet page stands.
  embedded.fleet.seed({ stations: config.stations, cameras: config.cameras })
  if (config.store.backend === 'influxdb') {
    // Only the process that ingests drains the outbox; a dashboard process just reads.
    return createInfluxStore({ embedded, file, influx: config.store.influx, logger, drain })
  }
  return embedded
}

/** MQTT accounts for devices commissioned on the fleet page: the broker's registry in the same database file */
export function openDeviceAccounts (config: Config, logger: Logger): { accounts: DeviceAccounts, registry: DeviceRegistry } {
  const registry = createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger })
  return {
    registry,
    accounts: {
      add: async (id, kind, stationId) => {
        const { account, secret } = await registry.add({ id, role: 'device', kind, ...(stationId === undefined ? {} : { stationId }) })
        return { username: account.id, password: secret }
      },
      revoke: id => { registry.revoke(id) }
    }
  }
}
