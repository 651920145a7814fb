import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { createIngest, type Ingest } from '../../ingest/index.js'
import { openTestAlerts } from '../helpers/alerts.js'
import { createBroker, type Broker } from '../../broker/index.js'
import { createDeviceRegistry } from '../../broker/registry.js'
import { openStore } from '../../cli/app.js'
import type { Store } from '../../store/store.js'
import { demoConfigFile, waitFor } from '../helpers/app.js'

const MINUTE = 60_000

/**
 * The all-in-one default backend (level, under dataDir) keeps a QoS 1
 * backlog, retained messages and subscriptions across a broker restart.
 */
describe('broker persistence across restart (level backend)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-persist-'))
  const logger = silentLogger()
  const closers: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('ingest (persistent session, offline) receives every QoS 1 uplink published before the restart', async () => {
    let config: Config = loadConfig({ file: demoConfigFile(), overrides: { dataDir, log: { level: 'silent' }, broker: { port: 0, wsPort: 0, allowAnonymous: false } } })
    expect(config.broker.persistence.backend).toBe('level')
    const registry = createDeviceRegistry({ file: join(dataDir, config.store.file), logger })
    closers.push(async () => { registry.close() })
    const svc = await registry.add({ id: 'mimamori-ingest', role: 'ingest' })
    const dev = await registry.add({ id: 'gauge-uchikawa-01', role: 'device', kind: 'gauge', stationId: 'uchikawa-oizumi' })
    const ingestConfig = (): Config => ({ ...config, ingest: { ...config.ingest, username: 'mimamori-ingest', password: svc.secret } })

    let broker: Broker = createBroker({ config, logger, registry })
    const { port } = await broker.start()
    closers.push(async () => { await broker.close() })
    const store: Store = openStore(config, logger)
    closers.push(async () => { await store.close() })
    const alerts = openTestAlerts(config, logger)
    closers.push(async () => { await alerts.close() })

    // 1. ingest subscribes once (persistent session), then goes offline
    let ingest: Ingest = createIngest({ config: ingestConfig(), logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url })
    await ingest.start()
    await ingest.close()

    // 2. the gauge publishes a backlog while ingest is away
    const device = await mqtt.connectAsync(broker.url, { clientId: 'gauge-uchikawa-01', username: 'gauge-uchikawa-01', password: dev.secret, reconnectPeriod: 0 })
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE
    const N = 12
    for (let i = 0; i < N; i++) {
      const frame = encodeUplink({ mode: 'observe', levelM: 0.5 + i / 100, batteryV: 3.6, temperatureC: 10, spreadMm: 2, validPings: 20, totalPings: 20, time: base + i * MINUTE })
      await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', Buffer.from(frame), { qos: 1 })
    }
    await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/status', JSON.stringify({ online: true, batteryV: 3.6 }), { qos: 1, retain: true })
    await device.endAsync()
    expect((await store.readings('uchikawa-oizumi', { from: 0, to: Date.now(), limit: 100 })).length).toBe(0)

    // 3. restart the broker on the same port from the same data dir
    await broker.close()
    config = { ...config, broker: { ...config.broker, port } }
    broker = createBroker({ config, logger, registry })
    await broker.start()

    // 4. ingest comes back with the same client id and gets the whole backlog
    ingest = createIngest({ config: ingestConfig(), logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url })
    closers.push(async () => { await ingest.close() })
    await ingest.start()
    const stored = await waitFor(async () => {
      const r = await store.readings('uchikawa-oizumi', { from: 0, to: Date.now(), limit: 100 })
      return r.length === N ? r : undefined
    }, `all ${N} backlog readings stored after the restart`)
    expect(stored.map(r => r.time).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => base + i * MINUTE))

    // 5. the retained status survived too
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'mimamori-ingest-watch', username: 'mimamori-ingest', password: svc.secret, reconnectPeriod: 0 })
    const retained = new Promise<string>(resolve => watcher.once('message', (_t, p, packet) => { if (packet.retain) resolve(p.toString()) }))
    await watcher.subscribeAsync('mmr/v1/gauge/gauge-uchikawa-01/status', { qos: 1 })
    expect(JSON.parse(await retained)).toEqual({ online: true, batteryV: 3.6 })
    await watcher.endAsync()
  })
})
