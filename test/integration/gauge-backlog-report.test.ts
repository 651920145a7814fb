import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { silentLogger } from '../../core/logger.js'
import type { Station } from '../../core/types.js'
import { createSimulatedGauge, type SimulatedGauge } from '../../simulators/gauge-device.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { startTcpLink } from '../helpers/servers.js'
import { apiFetch } from '../helpers/auth.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

interface BacklogJson { sent: number, summarised: number, from: string, to: string, time: string }
interface StationJson { id: string, device: { online: boolean, lastBacklog?: BacklogJson | null } | null }
interface HealthJson { ingest: { summarisedMeasurements: number, rejected: Record<string, number> } }

/**
 * A gateway gauge (MQTT, JSON status topic) whose store-and-forward queue is
 * too small for the outage: it summarises, then tells the platform how the
 * backlog went on its status topic, and the dashboard shows the report.
 */
describe('edge gauge: the backlog report on the status topic', () => {
  let t: TestApp
  let link: Awaited<ReturnType<typeof startTcpLink>>
  let gauge: SimulatedGauge
  let other: MqttClient
  let station: Station
  const t0 = Math.floor((Date.now() - 20 * HOUR) / MINUTE) * MINUTE
  const floodStart = t0 + 2 * HOUR
  const level = (t: number): number => {
    const h = (t - floodStart) / HOUR
    return h < 0 ? 0.3 : Math.min(1.8, 0.3 + 0.25 * h)
  }

  const api = async <T>(path: string): Promise<{ status: number, body: T }> => {
    const res = await apiFetch(t.info.dashboardUrl + path)
    return { status: res.status, body: await res.json() as T }
  }
  const health = async (): Promise<HealthJson> => (await api<HealthJson>('/healthz')).body
  const lastBacklogOf = async (id: string): Promise<BacklogJson | undefined> => {
    const { body } = await api<StationJson>(`/api/stations/${id}`)
    return body.device?.lastBacklog ?? undefined
  }

  beforeAll(async () => {
    t = await startTestApp()
    station = t.app.store!.getStation('uchikawa-oizumi')!
    link = await startTcpLink(t.info.mqttPort)
    gauge = createSimulatedGauge({ station, scenario: level, mqttUrl: link.url, logger: silentLogger(), publishTimeoutMs: 2000, bufferCapacity: 6 })
    await gauge.connect()
    other = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'gauge-akagawa-01' })
  })

  afterAll(async () => {
    await gauge?.close()
    await other?.endAsync()
    await link?.close()
    await t?.close()
  })

  it('reports frames sent and measurements summarised during an outage, and every measurement is accounted for', async () => {
    let time = t0
    const reported: number[] = []
    const tickUntil = async (end: number): Promise<void> => {
      while (time < end) {
        const r = await gauge.tick(time)
        if (r.decision.report) reported.push(time)
        time = r.decision.nextMeasurementAt
      }
    }

    await tickUntil(floodStart) // calm, link up: sent directly, nothing buffered
    expect(gauge.backlog.size).toBe(0)
    const before = { ...gauge.backlog.stats }

    await link.cut()
    await waitFor(() => !gauge.connected ? true : undefined, 'device sees the link down')
    const outageStart = reported.length
    await tickUntil(floodStart + 3 * HOUR)
    const duringOutage = reported.slice(outageStart)
    const summarised = gauge.backlog.stats.summarised - before.summarised
    expect(summarised).toBeGreaterThan(0) // the queue of 6 overflowed
    const queued = gauge.backlog.size
    expect(queued).toBe(6)

    await link.restore()
    await waitFor(() => gauge.connected ? true : undefined, 'device reconnected', 20_000)
    const first = await gauge.tick(time) // the whole queue goes out before the new frame
    time = first.decision.nextMeasurementAt
    expect(gauge.backlog.size).toBe(0)

    // (a) the status reaches ingest and the API shows the report
    const report = await waitFor(async () => await lastBacklogOf('uchikawa-oizumi'), 'backlog report in the API')
    expect(report).toMatchObject({
      sent: queued,
      summarised,
      from: new Date(duringOutage[0]!).toISOString(),
      to: new Date(duringOutage.at(-1)!).toISOString()
    })
    const stations = (await api<StationJson[]>('/api/stations')).body
    expect(stations.find(s => s.id === 'uchikawa-oizumi')?.device?.lastBacklog).toEqual(report)
    expect((await health()).ingest.summarisedMeasurements).toBe(summarised)

    // (b) frames sent + measurements summarised = every measurement taken during the outage
    expect(report.sent + report.summarised).toBe(duringOutage.length)
    expect(report.sent + report.summarised).toBe(gauge.backlog.stats.accountedFor - before.accountedFor)

    // the report outlives later statuses: here the gauge going offline
    await gauge.close()
    const offline = await waitFor(async () => {
      const { body } = await api<StationJson>('/api/stations/uchikawa-oizumi')
      return body.device?.online === false ? body.device : undefined
    }, 'offline status in the API')
    expect(offline.lastBacklog).toEqual(report)
  })

  it('refuses a malformed backlog report with a coded error and keeps ingesting', async () => {
    const rejected = async (): Promise<number> => (await health()).ingest.rejected.MIMAMORI_ERR_BAD_PAYLOAD ?? 0
    const messages: string[] = []
    const key = {}
    t.app.bus.on('rejected', key, r => { if (r.code === 'MIMAMORI_ERR_BAD_PAYLOAD') messages.push(r.message) })
    try {
      const before = await rejected()
      const topic = 'mmr/v1/gauge/gauge-akagawa-01/status'
      const backlog = { sent: 3, summarised: 1, from: '2025-09-01T03:00:00.000Z', to: '2025-09-01T05:00:00.000Z' }
      await other.publishAsync(topic, JSON.stringify({ online: true, batteryV: 3.5, backlog: { ...backlog, summarised: -1 } }), { qos: 1 })
      await other.publishAsync(topic, JSON.stringify({ online: true, batteryV: 3.5, backlog: { ...backlog, from: backlog.to, to: backlog.from } }), { qos: 1 })
      await waitFor(async () => await rejected() >= before + 2 ? true : undefined, 'both refused and counted')
      expect(messages.some(m => m.includes('"summarised" must be a non-negative integer'))).toBe(true)
      expect(messages.some(m => m.includes('"from" must not be after "to"'))).toBe(true)
      expect(await lastBacklogOf('akagawa-haguro')).toBeUndefined()

      // the same device, well formed: accepted
      await other.publishAsync(topic, JSON.stringify({ online: true, batteryV: 3.5, backlog }), { qos: 1 })
      const report = await waitFor(async () => await lastBacklogOf('akagawa-haguro'), 'valid backlog report in the API')
      expect(report).toMatchObject(backlog)
    } finally {
      t.app.bus.removeListeners(key)
    }
  })
})
