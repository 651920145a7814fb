import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Reading } from '../../core/types.js'
import { openStore } from '../../cli/app.js'
import type { InfluxStore } from '../../store/influx.js'
import { demoConfigFile } from '../helpers/app.js'
import { startRecordingProxy, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'

const MINUTE = 60_000

/**
 * Ingest seeds each station's QC state with one read of a recent window after a start. On the
 * InfluxDB backend the outbox ledger holds every row written within keepSentDays, so such a read
 * (`recent: true`) is answered from it, with no request to the database; any other read still asks it.
 */
describe('InfluxDB backend: recent reads for ingest state come from the outbox ledger', () => {
  let vm: ManagedServer
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>
  let store: InfluxStore
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-recent-'))
  const station = 'uchikawa-oizumi'
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE
  const reading = (i: number): Reading => ({ stationId: station, deviceId: 'gauge-uchikawa-01', time: base + i * MINUTE, receivedAt: Date.now(), level: 0.5 + i / 100, batteryV: 3.6, temperatureC: 10, spreadMm: 2, validPings: 20, totalPings: 20, deviceFlags: 0, seq: i, qc: { flag: 1, tests: {} } })

  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    proxy = await startRecordingProxy(vm.url)
    store = openStore(loadConfig({
      file: demoConfigFile(),
      overrides: { dataDir, log: { level: 'silent' }, store: { backend: 'influxdb', influx: { url: proxy.url, bucket: 'river', measurement: 'recent', flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 200 } } }
    }), silentLogger()) as InfluxStore
  })
  afterAll(async () => {
    await store?.close()
    await proxy?.close()
    await vm?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers a recent window from the ledger (delivered rows included) without a query, in order and limited', async () => {
    for (let i = 0; i < 30; i++) await store.writeReading(reading(i))
    await store.flushed(10_000) // every row delivered: only the ledger (state delivered) still has them locally
    expect(store.outboxStats().delivered).toBe(30)
    const queries = (): number => proxy.requests.filter(r => r.path.startsWith('/query')).length
    const before = queries()
    const rows = await store.readings(station, { from: base + 5 * MINUTE, to: base + 24 * MINUTE, limit: 10, recent: true })
    expect(queries()).toBe(before)
    expect(rows.map(r => r.seq)).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15])
    expect(rows[0]).toMatchObject({ level: 0.5 + 24 / 100, qc: { flag: 1, tests: {} } })
    const asc = await store.readings(station, { from: base, to: base + 24 * MINUTE, limit: 3, order: 'asc', recent: true })
    expect(asc.map(r => r.seq)).toEqual([0, 1, 2])
    expect(queries()).toBe(before)
  })

  it('asks the database for any other read, and for a recent read older than the ledger keeps', async () => {
    const queries = (): number => proxy.requests.filter(r => r.path.startsWith('/query')).length
    const before = queries()
    await store.readings(station, { from: base, to: base + 24 * MINUTE, limit: 10 })
    expect(queries()).toBe(before + 1)
    const old = Date.now() - 47 * 86_400_000 // keepSentDays is 46
    await store.readings(station, { from: old, to: old + MINUTE, limit: 10, recent: true })
    expect(queries()).toBe(before + 2)
  })
})
