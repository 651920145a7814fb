import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../cli/app.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Reading } from '../../core/types.js'
import type { InfluxStore } from '../../store/influx.js'
import { demoConfigFile, waitFor } from '../helpers/app.js'
import { exportVictoriaMetrics, freePort, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'

const MINUTE = 60_000

/** The outbox on its own: durable across a restart of mimamori while the database is unreachable. */
describe('durable outbox', () => {
  let vm: ManagedServer
  let dataDir: string

  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    dataDir = mkdtempSync(join(tmpdir(), 'mimamori-outbox-'))
  })
  afterAll(async () => {
    await vm?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const open = (url: string): InfluxStore => openStore(loadConfig({
    file: demoConfigFile(),
    overrides: { dataDir, log: { level: 'silent' }, store: { backend: 'influxdb', influx: { url, bucket: 'river', retryMinMs: 20, retryMaxMs: 100, closeFlushMs: 200, timeoutMs: 1000 } } }
  }), silentLogger()) as InfluxStore

  const reading = (i: number, time: number): Reading => ({
    stationId: 'oyama-oyama', deviceId: 'gauge-oyama-01', time, receivedAt: time + 1000, level: 0.4 + i / 100,
    batteryV: 3.6, temperatureC: 12, spreadMm: 3, validPings: 20, totalPings: 20, deviceFlags: 0, seq: i
  })

  it('keeps readings written while the database is unreachable across a restart, then delivers them once', async () => {
    const base = (Math.floor(Date.now() / MINUTE) - 100) * MINUTE
    const deadUrl = `http://127.0.0.1:${await freePort()}`
    const first = open(deadUrl)
    const results: string[] = []
    for (let i = 0; i < 50; i++) results.push(await first.writeReading(reading(i, base + i * MINUTE)))
    // the same frame again (device retry) is a duplicate even though nothing was delivered yet
    results.push(await first.writeReading(reading(3, base + 3 * MINUTE)))
    expect(results.filter(r => r === 'inserted')).toHaveLength(50)
    expect(results.at(-1)).toBe('duplicate')
    await waitFor(() => (first.outboxStats().drain?.failedWrites ?? 0) > 0 ? true : undefined, 'a failed write')
    expect(first.outboxStats().pending).toBe(50)
    // latest reading is served locally, without the database
    expect((await first.latestReadings()).get('oyama-oyama')?.time).toBe(base + 49 * MINUTE)
    await first.close()

    const second = open(vm.url)
    try {
      expect(second.outboxStats().pending).toBe(50)
      await second.flushed(20_000)
      expect(await second.writeReading(reading(7, base + 7 * MINUTE))).toBe('duplicate')
      const series = await waitFor(async () => {
        const s = await exportVictoriaMetrics(vm.url, '{__name__="water_level_level",station="oyama-oyama"}')
        return s[0] !== undefined && s[0].timestamps.length >= 50 ? s : undefined
      }, 'readings in VictoriaMetrics')
      expect(series[0]!.timestamps).toHaveLength(50)
      expect(new Set(series[0]!.timestamps).size).toBe(50)
      expect(second.outboxStats()).toMatchObject({ pending: 0, delivered: 50, rejected: 0 })
    } finally {
      await second.close()
    }
  })
})
