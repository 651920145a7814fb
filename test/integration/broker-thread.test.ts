import { mkdtempSync, rmSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import type { Station } from '../../core/types.js'
import { createApp, type App, type AppInfo } from '../../cli/app.js'
import type { ThreadedBroker } from '../../broker/thread/index.js'
import { waitFor } from '../helpers/app.js'

const DEVICES = 40
const deviceId = (i: number): string => `thr-g-${String(i).padStart(3, '0')}`
const stationId = (i: number): string => `thr-s-${String(i).padStart(3, '0')}`
const stations: Station[] = Array.from({ length: DEVICES }, (_, i) => ({
  id: stationId(i), name: `スレッド ${i}`, nameEn: `Thread ${i}`, river: 'テスト川', lat: 38.7 + i / 1000, lon: 139.8,
  deviceId: deviceId(i), datum: 0, sensorHeight: 8,
  // above every level sent: the rules run but raise nothing
  thresholds: { observationStart: 2.5, standby: 3, caution: 4, evacuationJudgement: 5, danger: 6, flooding: 7 }
}))
// the frame carries whole minutes: one minute per frame k, all in the past
const MINUTE = 60_000
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * 24 * 60 * MINUTE
const frame = (k: number): Buffer => Buffer.from(encodeUplink({ mode: 'observe', levelM: 1 + (k % 5) / 100, batteryV: 3.6, temperatureC: 14, spreadMm: 3, validPings: 20, totalPings: 20, time: BASE + k * MINUTE }))
const up = (i: number): string => `mmr/v1/gauge/${deviceId(i)}/up`

/**
 * The all-in-one with its broker in a worker thread (broker.thread on) and, as the
 * control, in the main event loop (off): the same guarantees must hold either way.
 */
describe.each(['on', 'off'] as const)('all-in-one with broker.thread %s', (thread) => {
  let app: App
  let info: AppInfo
  let config: Config
  let db: Database.Database
  let dataDir: string
  const logs: Array<Record<string, unknown>> = []
  const clients: MqttClient[] = []

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mimamori-thread-'))
    config = loadConfig({
      overrides: {
        dataDir, log: { level: 'info' }, stations, cameras: [], hunters: [],
        broker: { port: 0, wsPort: 0, allowAnonymous: true, thread },
        dashboard: { port: 0, auth: { demoLogin: false } },
        sim: { enabled: false }
      }
    })
    const logger = pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>) } })
    app = createApp({ config, logger })
    info = await app.start()
    db = new Database(join(dataDir, config.store.file), { readonly: true })
  })

  afterAll(async () => {
    await Promise.all(clients.map(async c => { await c.endAsync(true) }))
    db?.close()
    await app?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const device = async (i: number): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(info.mqttUrl, { clientId: deviceId(i), reconnectPeriod: 200 })
    clients.push(c)
    return c
  }
  const countAt = (i: number, k: number): number =>
    (db.prepare('SELECT count(*) AS n FROM readings WHERE station_id = ? AND time = ?').get(stationId(i), BASE + k * MINUTE) as { n: number }).n

  it('runs the broker where it was told', () => {
    const threaded = (app.broker as Partial<ThreadedBroker>).thread !== undefined
    expect(threaded).toBe(thread === 'on')
  })

  it('sends a QoS 1 PUBACK only once the reading is in the database', async () => {
    const c = await device(0)
    const missing: number[] = []
    // pipelined, not one at a time: many frames wait for the same group commit
    await Promise.all(Array.from({ length: 200 }, async (_, k) => {
      await c.publishAsync(up(0), frame(k), { qos: 1 })
      // read at the moment the PUBACK arrived, through a connection of our own
      if (countAt(0, k) !== 1) missing.push(k)
    }))
    expect(missing).toEqual([])
  })

  it('withholds the PUBACK while the database cannot commit, and sends it once the reading is in', async () => {
    const c = await device(2)
    let closes = 0
    c.on('close', () => { closes++ })
    // another writer holds the database: the store's commit waits out its busy timeout and fails
    const lock = new Database(join(dataDir, config.store.file))
    lock.exec('BEGIN IMMEDIATE')
    let inDbAtAck: number | undefined
    const storeFailures = (): number => app.ingest!.stats.rejected.MIMAMORI_ERR_STORE ?? 0
    const failuresBefore = storeFailures()
    const acked = c.publishAsync(up(2), frame(7000), { qos: 1 }).then(() => { inDbAtAck = countAt(2, 7000) })
    try {
      // the failed commit closes the device's connection without a PUBACK
      await waitFor(() => storeFailures() > failuresBefore && closes > 0 ? true : undefined, 'commit refused and connection closed', 30_000)
      expect(inDbAtAck).toBeUndefined()
    } finally {
      lock.exec('ROLLBACK')
      lock.close()
    }
    // MQTT.js reconnects and sends it again; now it commits, then comes the PUBACK
    await acked
    expect(inDbAtAck).toBe(1)
  })

  it('keeps the order per device for many devices publishing at once', async () => {
    const seen = new Map<string, number[]>()
    const key = {}
    app.bus.on('reading', key, ({ reading }) => {
      const list = seen.get(reading.stationId) ?? []
      list.push(reading.time)
      seen.set(reading.stationId, list)
    })
    try {
      const PER = 60
      const devs = await Promise.all(Array.from({ length: DEVICES - 1 }, async (_, j) => await device(j + 1)))
      await Promise.all(devs.map(async (c, j) => {
        // QoS 1, not awaited one by one: the frames of all devices interleave on the hop
        await Promise.all(Array.from({ length: PER }, async (_, k) => { await c.publishAsync(up(j + 1), frame(1000 + k), { qos: 1 }) }))
      }))
      for (let j = 1; j < DEVICES; j++) {
        expect(seen.get(stationId(j))).toEqual(Array.from({ length: PER }, (_, k) => BASE + (1000 + k) * MINUTE))
      }
    } finally {
      app.bus.removeListeners(key)
    }
  })

  it('refuses a malformed frame and a malformed packet without losing the broker', async () => {
    const c = await device(0)
    const before = app.ingest!.stats.received
    await c.publishAsync(up(0), Buffer.from('not a gauge frame at all'), { qos: 1 })
    await waitFor(() => app.ingest!.stats.received > before ? true : undefined, 'malformed frame taken')
    expect(Object.values(app.ingest!.stats.rejected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    // a broken MQTT packet on a raw socket: the broker closes that connection, nothing else
    const port = Number(new URL(info.mqttUrl).port)
    await new Promise<void>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => { s.write(Buffer.from([0x10, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff])) })
      s.on('close', () => { resolve() })
      s.on('error', () => { /* reset by the broker */ })
    })
    await c.publishAsync(up(0), frame(5000), { qos: 1 })
    expect(countAt(0, 5000)).toBe(1)
    if (thread === 'on') expect((app.broker as ThreadedBroker).thread.restarts).toBe(0)
  })

  // only a broker thread can die and be started again; in-process there is nothing to terminate
  if (thread === 'on') {
    it('notices a dead broker thread, logs it coded, starts it again and loses no PUBACKed reading', async () => {
      const b = app.broker as ThreadedBroker
      const c = await device(1)
      const acked: number[] = []
      let stop = false
      // a device publishing while its broker thread is killed under it
      const sending = (async () => {
        for (let k = 3000; !stop && k < 3400; k++) {
          try {
            await c.publishAsync(up(1), frame(k), { qos: 1 })
            acked.push(k)
          } catch { /* connection lost: MQTT.js sends it again after reconnecting, or it is not acked */ }
        }
      })()
      await waitFor(() => acked.length >= 20 ? true : undefined, 'first acks')
      await b.thread.terminate()
      await waitFor(() => b.thread.restarts === 1 && b.connectedClients > 0 ? true : undefined, 'broker thread started again and device reconnected', 30_000)
      const after = acked.length
      await waitFor(() => acked.length > after + 20 ? true : undefined, 'acks after the restart', 30_000)
      stop = true
      await sending
      expect(logs.some(l => l.code === 'MIMAMORI_ERR_BROKER_THREAD' && l.level === 50)).toBe(true)
      expect(acked.filter(k => countAt(1, k) !== 1)).toEqual([])
    })
  }
})
