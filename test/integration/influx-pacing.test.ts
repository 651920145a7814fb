import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Reading } from '../../core/types.js'
import { openStore } from '../../cli/app.js'
import type { Store } from '../../store/store.js'
import { demoConfigFile, waitFor } from '../helpers/app.js'
import { exportVictoriaMetrics, startVictoriaMetrics, type ManagedServer } from '../helpers/servers.js'

const MINUTE = 60_000

/** In front of the real VictoriaMetrics: holds writes ('hold'), forwards them ('pass') or answers 503 ('down'). */
type GateMode = 'hold' | 'pass' | 'down'
async function startGate (target: string): Promise<{ url: string, set(mode: GateMode): void, held(): number, close(): Promise<void> }> {
  const held: Array<() => void> = []
  let mode: GateMode = 'pass'
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const up = request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, r => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res) })
    up.end(body)
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const go = (): void => {
        if (mode === 'down') { res.writeHead(503).end('down'); return }
        forward(req, res, Buffer.concat(chunks))
      }
      if (mode === 'hold') held.push(go)
      else go()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => { resolve() }))
  const addr = server.address()
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`,
    held: () => held.length,
    set (m) {
      mode = m
      if (m !== 'hold') for (const go of held.splice(0)) go()
    },
    close: async () => { await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => { resolve() }) }) }
  }
}

/**
 * With the InfluxDB backend, ingest commits no faster than the database takes lines while the
 * database is healthy (the queue stays on the devices, the database stays fresh), and absorbs
 * everything into the outbox while it is failing (nothing is refused, nothing lost).
 */
describe('outbox pacing', () => {
  let vm: ManagedServer
  let gate: Awaited<ReturnType<typeof startGate>>
  let store: Store
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-pacing-'))
  const config = () => loadConfig({
    file: demoConfigFile(),
    overrides: { dataDir, log: { level: 'silent' }, store: { backend: 'influxdb', influx: { url: gate.url, bucket: 'river', measurement: 'pacing', batchSize: 10, inFlight: 2, flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 200, timeoutMs: 2000 } } }
  })
  beforeAll(async () => {
    vm = await startVictoriaMetrics()
    gate = await startGate(vm.url)
    store = openStore(config(), silentLogger())
  })
  afterAll(async () => {
    gate?.set('pass')
    await store?.close()
    await gate?.close()
    await vm?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const station = 'uchikawa-oizumi'
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 400 * MINUTE
  const reading = (i: number): Reading => ({ stationId: station, deviceId: 'gauge-uchikawa-01', time: base + i * MINUTE, receivedAt: Date.now(), level: 0.5 + i / 1000, batteryV: 3.6, temperatureC: 10, spreadMm: 2, validPings: 20, totalPings: 20, deviceFlags: 0, seq: i })

  it('holds writers back while the database is behind, by at most one batch per slot in flight plus one', async () => {
    gate.set('hold')
    let done = 0
    const writes = Array.from({ length: 100 }, async (_, i) => { await store.writeReading(reading(i)); done++ })
    await new Promise(resolve => setTimeout(resolve, 500))
    // two batches of 10 in flight plus one waiting may be committed ahead of the database; the other 70 wait
    expect(done).toBe(30)
    // both slots are in use at once: two write requests reach the server before either is answered
    await waitFor(() => gate.held() === 2 ? true : undefined, 'two batches in flight')
    gate.set('pass')
    await Promise.all(writes)
    const points = await waitFor(async () => {
      const series = await exportVictoriaMetrics(vm.url, 'pacing_level')
      const n = series.reduce((s, x) => s + x.values.length, 0)
      return n === 100 ? n : undefined
    }, 'all 100 in the database')
    expect(points).toBe(100)
  })

  it('takes everything into the outbox while the database is failing', async () => {
    gate.set('down')
    // the drainer finds out on its next write attempt
    await store.writeReading(reading(100))
    await waitFor(() => (store as unknown as { outboxStats(): { drain: { consecutiveFailures: number } | null } }).outboxStats().drain!.consecutiveFailures > 0 ? true : undefined, 'drainer sees the outage')
    await Promise.all(Array.from({ length: 80 }, async (_, i) => { await store.writeReading(reading(101 + i)) }))
    expect((store as unknown as { outboxStats(): { pending: number } }).outboxStats().pending).toBe(81)
    gate.set('pass')
    await waitFor(async () => {
      const series = await exportVictoriaMetrics(vm.url, 'pacing_level')
      return series.reduce((s, x) => s + x.values.length, 0) === 181 ? true : undefined
    }, 'the outage backlog delivered', 30_000)
  })
})
