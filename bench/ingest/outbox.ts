/**
 * bench/ingest/outbox: the InfluxDB backend's own cost per reading, without MQTT or the pipeline:
 * the embedded store's writeReading (what the outbox replaces), the outbox enqueue (writeReading of
 * the influxdb store, drain off), then the drain of everything to a real VictoriaMetrics (encode,
 * POST, mark delivered). CPU = process.cpuUsage (every thread of this process, zlib's pool included);
 * VictoriaMetrics' CPU is printed beside it, from /proc.
 *
 *   node dist/bench/ingest/outbox.js [readings, default 100000]
 *   MIMAMORI_STORE__INFLUX__GZIP=on node dist/bench/ingest/outbox.js   # same, bodies gzipped
 *   BENCH_TREE=/tmp/before/dist node dist/bench/ingest/outbox.js        # the stores of another build
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import type { Reading } from '../../core/types.js'
import type { createEmbeddedStore as CreateEmbedded } from '../../store/embedded.js'
import type { createInfluxStore as CreateInflux } from '../../store/influx.js'
import type { Store } from '../../store/store.js'
import { freePort } from '../lib/net.js'

const N = Number(process.argv[2] ?? 100_000)
/** the dist folder whose stores are measured (BENCH_TREE: another build's, for before/after) */
const TREE = process.env.BENCH_TREE ?? join(import.meta.dirname, '..', '..')
const { createEmbeddedStore } = await import(join(TREE, 'store', 'embedded.js')) as { createEmbeddedStore: typeof CreateEmbedded }
const { createInfluxStore } = await import(join(TREE, 'store', 'influx.js')) as { createInfluxStore: typeof CreateInflux }
const PER_TURN = 1000
const T0 = Date.UTC(2026, 10, 1)
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const procCpu = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}
const reading = (i: number): Reading => ({ stationId: `bench-s-${String(i % 1000).padStart(5, '0')}`, deviceId: `bench-g-${String(i % 1000).padStart(5, '0')}`, time: T0 + Math.floor(i / 1000) * 60_000, receivedAt: Date.now(), level: 1 + (i % 97) / 100, batteryV: 3.6, temperatureC: 12.3, spreadMm: 4, validPings: 10, totalPings: 10, deviceFlags: 0, seq: i & 0xffff, qc: { flag: 1, tests: {} } })
const us = (s: number): string => (s * 1e6 / N).toFixed(1)

/** N readings, PER_TURN per event-loop turn as ingest hands them over; CPU seconds */
async function writeAll (store: Store): Promise<number> {
  const c = cpu()
  for (let i = 0; i < N; i += PER_TURN) {
    const batch: Array<Promise<unknown>> = []
    for (let j = i; j < Math.min(N, i + PER_TURN); j++) batch.push(store.writeReading(reading(j)))
    await Promise.all(batch)
  }
  return cpu() - c
}

async function main (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'))
  const port = await freePort()
  const vm = spawn(process.env.MIMAMORI_VM_BIN ?? '/usr/bin/victoria-metrics', [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'vm')}`, '-retentionPeriod=100y', '-loggerLevel=ERROR'], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  try {
    for (let i = 0; (await fetch(`${url}/health`).then(r => r.ok, () => false)) !== true; i++) {
      if (i > 300) throw new Error('victoria-metrics did not start')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const logger = silentLogger()
    const embedded = createEmbeddedStore({ file: join(dir, 'embedded.db'), logger })
    const tEmbedded = await writeAll(embedded)
    await embedded.close()

    const influx = { ...loadConfig({ env: process.env }).store.influx, url, measurement: 'bench_outbox' }
    const open = (drain: boolean): ReturnType<typeof createInfluxStore> => createInfluxStore({ embedded: createEmbeddedStore({ file: join(dir, 'app.db'), logger }), file: join(dir, 'app.db'), influx, logger, drain })
    let store = open(false)
    const tEnqueue = await writeAll(store)
    await store.close()

    const vm0 = procCpu(vm.pid!)
    const c = cpu()
    const wall = Date.now()
    store = open(true)
    await store.flushed(600_000)
    const tDrain = cpu() - c
    const wallMs = Date.now() - wall
    const tVm = procCpu(vm.pid!) - vm0
    const stats = store.outboxStats()
    await store.close()
    process.stdout.write(`bench/ingest/outbox: ${N.toLocaleString('en')} readings, stores of ${TREE}, gzip ${influx.gzip}, batchSize ${influx.batchSize}\n`)
    process.stdout.write(`embedded writeReading ${us(tEmbedded)} µs/reading; outbox enqueue ${us(tEnqueue)} µs/reading; drain ${us(tDrain)} µs/reading (${stats.drain?.batches ?? 0} batches, ${wallMs} ms); VictoriaMetrics ${us(tVm)} µs/reading\n`)
    process.stdout.write(JSON.stringify({ bench: 'ingest-outbox', readings: N, gzip: influx.gzip, embeddedUs: Number(us(tEmbedded)), enqueueUs: Number(us(tEnqueue)), drainUs: Number(us(tDrain)), vmUs: Number(us(tVm)) }) + '\n')
  } finally {
    vm.kill('SIGTERM')
    await new Promise(resolve => vm.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
})
