import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import type { InfluxStore } from '../../store/influx.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { exportVictoriaMetrics, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'
import { apiFetch } from '../helpers/auth.js'

const MINUTE = 60_000
const TOTAL = 300
const STOP_AFTER = 80
const RESTART_AFTER = 180

/**
 * The zero-loss promise: readings stream device → MQTT (QoS 1) → ingest →
 * outbox → VictoriaMetrics (/api/v2/write). The database is stopped in the
 * middle of the stream and restarted later on the same port and data dir;
 * every reading must be there exactly once.
 */
describe('InfluxDB backend: outage of the time-series database', () => {
  let vm: ManagedServer
  let t: TestApp
  let device: MqttClient

  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    t = await startTestApp({
      store: { backend: 'influxdb', influx: { url: vm.url, bucket: 'river', batchSize: 25, flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 400, timeoutMs: 2000 } }
    })
    device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'gauge-uchikawa-01' })
  })

  afterAll(async () => {
    await device?.endAsync()
    await t?.close()
    await vm?.close()
  })

  it('delivers every reading exactly once across a stop and restart of the server', async () => {
    const store = t.app.store as InfluxStore
    expect(store.backend).toBe('influxdb')
    const base = (Math.floor(Date.now() / MINUTE) - TOTAL - 5) * MINUTE
    const levelAt = (i: number): number => Math.round((0.5 + 0.2 * Math.sin(i / 20)) * 100) / 100
    const sent = new Map<number, number>()
    let acked = 0

    // Publisher: one frame per minute of data time, each awaited for its PUBACK,
    // which ingest sends only after the outbox row is committed.
    const publishing = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        const time = base + i * MINUTE
        const frame = encodeUplink({ mode: 'observe', levelM: levelAt(i), batteryV: 3.6, temperatureC: 15, spreadMm: 3, validPings: 20, totalPings: 20, time })
        await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', Buffer.from(frame), { qos: 1 })
        sent.set(time, levelAt(i))
        acked++
      }
    })()

    await waitFor(() => acked >= STOP_AFTER ? true : undefined, 'first readings acked')
    await vm.stop()
    const stoppedAt = acked
    await waitFor(() => acked >= RESTART_AFTER ? true : undefined, 'readings acked while the database is down')
    // The outage was real: writes failed and readings are waiting in the outbox.
    const during = store.outboxStats()
    expect(during.drain?.failedWrites).toBeGreaterThan(0)
    expect(during.pending).toBeGreaterThan(0)
    // and operators see it on /healthz
    const health = await (await apiFetch(`${t.info.dashboardUrl}/healthz`)).json() as { store: string, outbox?: { pending: number, drain: { consecutiveFailures: number } } }
    expect(health.store).toBe('influxdb')
    expect(health.outbox?.pending).toBeGreaterThan(0)
    // The API still answers from the outbox ledger while the database is down.
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/uchikawa-oizumi/readings?from=${new Date(base).toISOString()}&to=${new Date(base + TOTAL * MINUTE).toISOString()}&limit=1000`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { readings: unknown[] }).readings.length).toBeGreaterThanOrEqual(RESTART_AFTER)

    // keep it down until the drainer has backed off several times (the outage length does not matter)
    await waitFor(() => (store.outboxStats().drain?.consecutiveFailures ?? 0) >= 5 ? true : undefined, 'repeated failed writes')
    await vm.start()
    await publishing
    expect(acked).toBe(TOTAL)
    await store.flushed(30_000)

    const series = await waitFor(async () => {
      const s = await exportVictoriaMetrics(vm.url, '{__name__="water_level_level",station="uchikawa-oizumi"}')
      const n = s.reduce((sum, x) => sum + x.timestamps.length, 0)
      return n >= TOTAL ? s : undefined
    }, 'all readings visible in VictoriaMetrics', 30_000)

    expect(series).toHaveLength(1)
    expect(series[0]!.metric).toMatchObject({ station: 'uchikawa-oizumi', device: 'gauge-uchikawa-01' })
    const timestamps = series[0]!.timestamps
    const unique = new Set(timestamps)
    // exactly once: as many samples as readings sent, no timestamp twice, each with its level
    expect(timestamps.length).toBe(TOTAL)
    expect(unique.size).toBe(TOTAL)
    for (const [i, ts] of timestamps.entries()) expect(series[0]!.values[i]).toBe(sent.get(ts))
    expect([...sent.keys()].every(ts => unique.has(ts))).toBe(true)

    const after = store.outboxStats()
    expect(after.pending).toBe(0)
    expect(after.rejected).toBe(0)
    expect(after.delivered).toBe(TOTAL)
    expect(t.app.ingest?.stats.stored).toBe(TOTAL)
    console.info(`[outage] sent ${TOTAL}, stored ${timestamps.length}, duplicates ${timestamps.length - unique.size}, ` +
      `database down from reading ${stoppedAt} to ${RESTART_AFTER}+, failed writes ${after.drain?.failedWrites ?? 0}, batches ${after.drain?.batches ?? 0}`)
  })
})
