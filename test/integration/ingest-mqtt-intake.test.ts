import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { createIngest } from '../../ingest/index.js'
import { openTestAlerts } from '../helpers/alerts.js'
import { createBroker } from '../../broker/index.js'
import { openStore } from '../../cli/app.js'
import { demoConfigFile, waitFor } from '../helpers/app.js'

const MINUTE = 60_000
const frame = (levelM: number, time: number): Buffer =>
  Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 12, spreadMm: 2, validPings: 20, totalPings: 20, time }))

/**
 * A separate `mimamori ingest` subscribes over MQTT with a persistent session and takes many
 * messages into the pipeline at once (their writes share a commit); each PUBACK still leaves
 * only after its message settled, in arrival order, and storage trouble leaves the rest for
 * redelivery.
 */
describe('ingest over an MQTT subscription', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-mqtt-intake-'))
  const logger = silentLogger()
  const config = loadConfig({ file: demoConfigFile(), overrides: { dataDir, log: { level: 'silent' }, broker: { port: 0, wsPort: 0, allowAnonymous: true }, vision: { enabled: false }, ingest: { clientId: 'ingest-under-test' } } })
  const broker = createBroker({ config, logger })
  const alerts = openTestAlerts(config, logger)
  afterAll(async () => {
    await alerts.close()
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('stores pipelined QoS 1 uplinks of many gauges and acknowledges every one (nothing redelivered after a restart)', async () => {
    await broker.start()
    const store = openStore(config, logger)
    let ingest = createIngest({ config, logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url })
    await ingest.start()
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 80 * MINUTE
    const N = 60
    const gauges = config.stations.slice(0, 5)
    const devices = await Promise.all(gauges.map(async s => await mqtt.connectAsync(broker.url, { clientId: s.deviceId, reconnectPeriod: 0 })))
    await Promise.all(gauges.map(async (s, g) => {
      await Promise.all(Array.from({ length: N }, async (_, i) => { await devices[g]!.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(0.4 + (i % 5) / 100, base + i * MINUTE), { qos: 1 }) }))
    }))
    await waitFor(() => ingest.stats.stored === gauges.length * N ? true : undefined, 'all stored')
    for (const s of gauges) expect((await store.readings(s.id, { from: 0, to: Date.now(), limit: 1000 })).length).toBe(N)
    await ingest.close()
    // every PUBACK reached the broker: the persistent session holds nothing to redeliver
    ingest = createIngest({ config, logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url })
    await ingest.start()
    const s0 = gauges[0]!
    await devices[0]!.publishAsync(`mmr/v1/gauge/${s0.deviceId}/up`, frame(0.5, base + N * MINUTE), { qos: 1 })
    await waitFor(() => ingest.stats.stored === 1 ? true : undefined, 'the new frame stored')
    expect(ingest.stats.received).toBe(1)
    expect(ingest.stats.duplicates).toBe(0)
    await ingest.close()
    await store.close()
    for (const d of devices) await d.endAsync()
  })

  it('leaves a message it cannot store unacknowledged: the broker redelivers it to the next session', async () => {
    const s = config.stations[1]!
    let store = openStore(config, logger)
    let ingest = createIngest({ config, logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url })
    await ingest.start()
    await store.close() // the disk goes away under ingest
    const device = await mqtt.connectAsync(broker.url, { clientId: s.deviceId, reconnectPeriod: 0 })
    const t = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE
    await device.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(0.77, t), { qos: 1 })
    await waitFor(() => (ingest.stats.rejected.MIMAMORI_ERR_CLOSED ?? 0) >= 1 ? true : undefined, 'refused for retry')
    await ingest.close()
    store = openStore(config, logger)
    ingest = createIngest({ config, logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url })
    await ingest.start()
    const got = await waitFor(async () => (await store.readings(s.id, { from: t, to: t, limit: 5 }))[0], 'redelivered reading stored')
    expect(got.level).toBe(0.77)
    await ingest.close()
    await store.close()
    await device.endAsync()
  })
})
