import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { silentLogger } from '../../core/logger.js'
import type { Station } from '../../core/types.js'
import { encodeDownlink } from '../../codecs/gauge-v1.js'
import { createSimulatedGauge, type SimulatedGauge } from '../../simulators/gauge-device.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { startTcpLink } from '../helpers/servers.js'
import { apiFetch } from '../helpers/auth.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/**
 * The simulated gauge runs the edge firmware logic (adaptive reporting,
 * store-and-forward, downlink) against the real broker and ingest, through a
 * TCP link the test can cut. Data time runs fast: each tick is one firmware
 * cycle at the time the policy asked for.
 */
describe('edge gauge: store-and-forward and downlink through the real pipeline', () => {
  let t: TestApp
  let link: Awaited<ReturnType<typeof startTcpLink>>
  let gauge: SimulatedGauge
  let operator: MqttClient
  let station: Station
  // data time: a flood that starts 10 h ago (time tags must not be in the future)
  const t0 = Math.floor((Date.now() - 20 * HOUR) / MINUTE) * MINUTE
  const floodStart = t0 + 2 * HOUR
  const level = (t: number): number => {
    const h = (t - floodStart) / HOUR
    return h < 0 ? 0.3 : Math.min(1.8, 0.3 + 0.25 * h)
  }

  beforeAll(async () => {
    t = await startTestApp()
    station = t.app.store!.getStation('uchikawa-oizumi')!
    link = await startTcpLink(t.info.mqttPort)
    gauge = createSimulatedGauge({ station, scenario: level, mqttUrl: link.url, logger: silentLogger(), publishTimeoutMs: 2000 })
    await gauge.connect()
    operator = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'operator-console' })
  })

  afterAll(async () => {
    await gauge?.close()
    await operator?.endAsync()
    await link?.close()
    await t?.close()
  })

  it('keeps frames while the link is down and delivers each once with its original time; a downlink changes the interval', async () => {
    const reported: number[] = []
    let time = t0
    const tickUntil = async (end: number): Promise<void> => {
      while (time < end) {
        const r = await gauge.tick(time)
        if (r.decision.report) reported.push(time)
        time = r.decision.nextMeasurementAt
      }
    }

    await tickUntil(floodStart) // calm: boot report only
    expect(gauge.policy.mode).toBe('watch')
    expect(gauge.backlog.size).toBe(0)

    await link.cut()
    await waitFor(() => !gauge.connected ? true : undefined, 'device sees the link down')
    await tickUntil(floodStart + 3 * HOUR) // the rise, with the link down
    expect(gauge.policy.mode).toBe('observe')
    const queued = gauge.backlog.size
    expect(queued).toBeGreaterThan(10)

    await link.restore()
    await waitFor(() => gauge.connected ? true : undefined, 'device reconnected', 20_000)
    await tickUntil(floodStart + 4 * HOUR)
    expect(gauge.backlog.size).toBe(0)
    expect(gauge.backlog.stats).toMatchObject({ summarised: 0 })

    // Operator asks for 5-minute reports while the flood goes on.
    const dl = encodeDownlink({ data: { observeIntervalMin: 5 } })
    if ('errors' in dl) throw new Error(dl.errors.join())
    await operator.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/down', Buffer.from(dl.bytes), { qos: 1 })
    await waitFor(() => gauge.policy.settings.observeIntervalMin === 5 ? true : undefined, 'downlink applied on the device')
    const before = reported.length
    await tickUntil(time + HOUR)
    const last = reported.slice(before)
    expect(last.slice(1).map((x, i) => x - last[i]!)).toEqual(Array(last.length - 1).fill(5 * MINUTE))

    // Every reported frame is stored exactly once, at its observation time.
    let seen: number[] = []
    const stored = await waitFor(async () => {
      const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/uchikawa-oizumi/readings?from=${new Date(t0).toISOString()}&to=${new Date(time).toISOString()}&limit=1000`)
      const body = await res.json() as { readings: Array<{ time: string }> }
      seen = body.readings.map(r => Date.parse(r.time))
      return body.readings.length >= reported.length ? body.readings : undefined
    }, 'every reported frame stored').catch((err: unknown) => {
      const missing = reported.filter(x => !seen.includes(x)).map(x => (x - t0) / MINUTE)
      throw new Error(`${(err as Error).message}; missing (min after t0): ${missing.join(',')}; ingest ${JSON.stringify(t.app.ingest?.stats)}; backlog ${JSON.stringify(gauge.backlog.stats)}`)
    })
    expect(stored.map(r => Date.parse(r.time)).sort((a, b) => a - b)).toEqual(reported)
    console.info(`[store-and-forward] ${queued} frames kept during the outage, ${reported.length} reported in ${((time - t0) / HOUR).toFixed(1)} h of data time, all stored once`)
  })
})
