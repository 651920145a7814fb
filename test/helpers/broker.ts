import { mkdtempSync, rmSync } from 'node:fs'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type DeepPartial } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { createBroker, type Broker, type BrokerPorts } from '../../broker/index.js'
import { createDeviceRegistry, type DeviceRegistry } from '../../broker/registry.js'

export interface TestBroker {
  broker: Broker
  ports: BrokerPorts
  url: string
  config: Config
  dataDir: string
  registry: DeviceRegistry
  /** stops the broker, keeps the data dir (restart tests) */
  stop(): Promise<void>
  /** stops and removes the data dir */
  close(): Promise<void>
}

/** A broker alone on ephemeral ports, with its registry in a throwaway data dir; anonymous off unless overridden. */
export async function startTestBroker (overrides: DeepPartial<Config> = {}, dataDir = mkdtempSync(join(tmpdir(), 'mimamori-broker-'))): Promise<TestBroker> {
  const base = { dataDir, log: { level: 'silent' }, broker: { port: 0, wsPort: 0, allowAnonymous: false } }
  const config = loadConfig({ overrides: deepMerge(base, overrides as Record<string, unknown>) as DeepPartial<Config> })
  const registry = createDeviceRegistry({ file: join(dataDir, config.store.file), logger: silentLogger() })
  const broker = createBroker({ config, logger: silentLogger(), registry })
  const ports = await broker.start()
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await broker.close()
    registry.close()
  }
  return {
    broker,
    ports,
    url: broker.url,
    config,
    dataDir,
    registry,
    stop,
    async close () {
      await stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

function deepMerge (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = prev !== null && typeof prev === 'object' && !Array.isArray(prev) && v !== null && typeof v === 'object' && !Array.isArray(v)
      ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

/** an MQTT.js client that fails instead of reconnecting: a refused CONNECT rejects */
export async function connectAs (url: string, o: IClientOptions): Promise<MqttClient> {
  return await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o })
}

/** the CONNACK return code of a refused CONNECT, undefined when it was accepted */
export async function refusal (url: string, o: IClientOptions): Promise<number | undefined> {
  try {
    const c = await connectAs(url, o)
    await c.endAsync()
    return undefined
  } catch (err) {
    return (err as { code?: number }).code
  }
}
