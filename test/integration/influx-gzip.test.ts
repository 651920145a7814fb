import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { MimamoriError } from '../../core/errors.js'
import type { Reading } from '../../core/types.js'
import { createInfluxSink, gzipWrites } from '../../store/influx-sink.js'
import { exportVictoriaMetrics, startRecordingProxy, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'

const T0 = Date.UTC(2026, 10, 1)
function readings (station: string, n: number): Reading[] {
  return Array.from({ length: n }, (_, i) => ({
    stationId: station, deviceId: `${station}-dev`, time: T0 + i * 60_000, receivedAt: T0 + i * 60_000 + 500, level: 1 + i / 1000, batteryV: 3.6, temperatureC: 11.5, spreadMm: 2, validPings: 20, totalPings: 20, deviceFlags: 0, seq: i, qc: { flag: 1, tests: {} }
  }))
}

describe('store.influx.gzip: compression of the outbox write bodies', () => {
  let vm: ManagedServer
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>

  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    proxy = await startRecordingProxy(vm.url)
  })
  afterAll(async () => {
    await proxy?.close()
    await vm?.close()
  })

  it.each([
    ['auto', null], // the database is on 127.0.0.1: no gzip
    ['off', null],
    ['on', 'gzip']
  ] as const)('gzip %s: the write request carries content-encoding %s and VictoriaMetrics stores every line', async (gzip, encoding) => {
    const influx = { ...loadConfig({}).store.influx, url: proxy.url, measurement: 'gz', gzip }
    const sink = createInfluxSink(influx)
    const station = `st-${gzip}`
    const before = proxy.requests.length
    await sink.post(sink.encode(readings(station, 200))) // ≈ 45 kB, far above the 1 000-byte threshold
    expect(proxy.requests.slice(before).map(r => [r.path.split('?')[0], r.encoding])).toEqual([['/api/v2/write', encoding]])
    const series = await exportVictoriaMetrics(vm.url, `{__name__="gz_level",station="${station}"}`)
    expect(series.flatMap(s => s.values)).toHaveLength(200)
    await sink.close()
  })

  it('auto means off for localhost and loopback/private IP literals, on for any other host', () => {
    const off = ['http://127.0.0.1:8428', 'http://localhost:8086', 'http://[::1]:8086', 'http://10.1.2.3', 'http://172.20.0.5:8086', 'http://192.168.1.9', 'http://169.254.10.1', 'http://[fd12:3456::1]', 'http://[fe80::1]', 'http://[::ffff:192.168.0.2]']
    const on = ['http://influxdb:8086', 'https://example.com', 'http://8.8.8.8', 'http://172.32.0.1', 'http://[2001:db8::1]', 'https://tsdb.example.jp:443']
    for (const url of off) expect(gzipWrites({ url, gzip: 'auto' }), url).toBe(false)
    for (const url of on) expect(gzipWrites({ url, gzip: 'auto' }), url).toBe(true)
    expect(gzipWrites({ url: 'http://127.0.0.1', gzip: 'on' })).toBe(true)
    expect(gzipWrites({ url: 'https://example.com', gzip: 'off' })).toBe(false)
  })

  it('the setting comes from the environment and a wrong value is refused with a coded error naming the key', () => {
    expect(loadConfig({}).store.influx.gzip).toBe('auto')
    expect(loadConfig({ env: { MIMAMORI_STORE__INFLUX__GZIP: 'off' } }).store.influx.gzip).toBe('off')
    let err: unknown
    try {
      loadConfig({ env: { MIMAMORI_STORE__INFLUX__GZIP: 'sometimes' } })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(MimamoriError)
    expect((err as MimamoriError).code).toBe('MIMAMORI_ERR_CONFIG')
    expect((err as MimamoriError).message).toContain('store.influx.gzip')
  })
})
