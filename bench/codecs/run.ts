/**
 * Codec bench (bench/README.md § bench/codecs), two questions in one run:
 *
 * 1. Decode cost per uplink: a vendor codec (our DL-MBX plug-in, TTN format)
 *    in its QuickJS sandbox, against our native gauge-v1 decoder, and against
 *    the same JS file run natively (node:vm, no isolation), so the sandbox's
 *    own price (interpreter + JSON marshalling) shows separately.
 * 2. Ingest readings/s through the real pipeline (ChirpStack envelope →
 *    dedupe → decode → QC → SQLite group commit → bus) for a station with a
 *    vendor profile against one that speaks our frame.
 *
 *   node dist/bench/codecs/run.js [--decodes 20000] [--uplinks 10000] [--window 256] [--json out.json]
 */
import { openAlertOutbox } from '../../notify/outbox.js'
import { createAlerts } from '../../alerts/index.js'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runInNewContext } from 'node:vm'
import { createEventBus } from '../../core/bus.js'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import { decodeGaugeFrame, encodeUplink, UPLINK_FPORT } from '../../codecs/gauge-v1.js'
import { BUILTIN_CODECS_DIR } from '../../codecs/vendor/builtin.js'
import { DEFAULT_SANDBOX_LIMITS, loadSandboxedCodec } from '../../codecs/vendor/sandbox.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import { createIngestPipeline } from '../../ingest/pipeline.js'

const { values } = parseArgs({ options: { decodes: { type: 'string', default: '20000' }, uplinks: { type: 'string', default: '10000' }, window: { type: 'string', default: '256' }, json: { type: 'string' } } })
const DECODES = Number(values.decodes)
const UPLINKS = Number(values.uplinks)
const WINDOW = Number(values.window)

const MBX = [0x02, 0x01, 0x2f, 0x00, 0x03, 0x04, 0xd2, 0x00, 0x01, 0x0b, 0xb1]
const frame = (time: number, level: number): Uint8Array => encodeUplink({ mode: 'observe', levelM: level, batteryV: 3.6, temperatureC: 12, spreadMm: 3, validPings: 20, totalPings: 20, time })

/** CPU µs per call (user + system of this process): on a shared VM wall time mostly measures the neighbours */
function timeIt (n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(2000, n); i++) fn(i) // warm-up: JIT and WASM tier-up
  const c0 = process.cpuUsage()
  for (let i = 0; i < n; i++) fn(i)
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / n
}

async function decodeBench (): Promise<Record<string, number>> {
  const source = readFileSync(join(BUILTIN_CODECS_DIR, 'decentlab', 'dl-mbx.js'), 'utf8')
  const sandboxed = await loadSandboxedCodec('decentlab/dl-mbx', source, DEFAULT_SANDBOX_LIMITS)
  const vmGlobal: { decodeUplink?: (i: unknown) => unknown } = {}
  runInNewContext(source, vmGlobal)
  const ours = frame(Date.now(), 1.234)
  const now = new Date()
  const nativeUs = timeIt(DECODES, () => decodeGaugeFrame({ bytes: ours, fPort: UPLINK_FPORT, recvTime: now }))
  const vmUs = timeIt(DECODES, () => JSON.parse(JSON.stringify(vmGlobal.decodeUplink!({ bytes: MBX, fPort: 1, recvTime: now }))))
  const sandboxUs = timeIt(DECODES, () => sandboxed.decodeUplink({ bytes: MBX, fPort: 1, recvTime: now }))
  sandboxed.dispose()
  return { nativeGaugeV1Us: nativeUs, vendorJsNodeVmUs: vmUs, vendorJsSandboxUs: sandboxUs, ratioSandboxToNative: sandboxUs / nativeUs, ratioSandboxToNodeVm: sandboxUs / vmUs }
}

async function ingestCase (vendor: boolean): Promise<{ readingsPerS: number, readingsPerCpuS: number, stored: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-bench-codecs-'))
  const devEui = vendor ? '70b3d57ba0000001' : '0004a30b001c2d3e'
  const station = { id: 'bench-st', name: 'ベンチ', nameEn: 'Bench', river: '川', lat: 38.7, lon: 139.8, deviceId: 'bench-gauge', devEui, datum: 0, sensorHeight: 4, ...(vendor ? { profile: 'decentlab-dl-mbx' } : {}), thresholds: { observationStart: 0.5, standby: 2, caution: 2.8, evacuationJudgement: 3.6, danger: 3.8, flooding: 3.9 } }
  const config = loadConfig({ overrides: { dataDir: dir, log: { level: 'silent' }, stations: [station], river: { rules: { enabled: false } } } as never })
  const logger = silentLogger()
  const store = createEmbeddedStore({ file: join(dir, config.store.file), logger })
  store.saveStations(config.stations)
  const bus = createEventBus()
  const alerts = createAlerts({ file: join(dir, config.store.file), outbox: openAlertOutbox(join(dir, config.store.file)), logger, bus })
  const pipeline = createIngestPipeline({ config, logger, bus, store, alerts })
  await pipeline.start()
  await pipeline.codecs.ready()
  // one reading a minute, ending now (our frame's minute tag must resolve within its 45 days)
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - UPLINKS * 60_000
  const message = (i: number): { topic: string, payload: Buffer, receivedAt: number } => {
    const time = t0 + i * 60_000
    const mm = 1000 + (i % 500)
    const bytes = vendor ? Buffer.from([...MBX.slice(0, 5), mm >> 8, mm & 0xff, 0x00, 0x05, 0x0b, 0xb1]) : Buffer.from(frame(time, 4 - mm / 1000))
    const payload = Buffer.from(JSON.stringify({ time: new Date(time).toISOString(), deviceInfo: { devEui, applicationId: 'bench' }, fCnt: i, fPort: vendor ? 1 : UPLINK_FPORT, data: bytes.toString('base64') }))
    return { topic: `application/bench/device/${devEui}/event/up`, payload, receivedAt: time + 500 }
  }
  const messages = Array.from({ length: UPLINKS }, (_, i) => message(i))
  const start = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  let next = 0
  const worker = async (): Promise<void> => { while (next < messages.length) await pipeline.handle(messages[next++]!) }
  await Promise.all(Array.from({ length: WINDOW }, worker))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(c0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const stored = pipeline.stats.stored
  await pipeline.close()
  await alerts.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return { readingsPerS: stored / seconds, readingsPerCpuS: stored / cpuSeconds, stored }
}

async function main (): Promise<void> {
  const decode = await decodeBench()
  process.stdout.write(`decode per uplink, CPU µs (${DECODES}): native gauge-v1 ${decode.nativeGaugeV1Us!.toFixed(2)} µs · vendor JS in node:vm ${decode.vendorJsNodeVmUs!.toFixed(2)} µs · vendor JS in QuickJS sandbox ${decode.vendorJsSandboxUs!.toFixed(2)} µs → sandbox/native ${decode.ratioSandboxToNative!.toFixed(0)}×, sandbox/node:vm ${decode.ratioSandboxToNodeVm!.toFixed(0)}×\n`)
  const ourFrame = await ingestCase(false)
  const vendor = await ingestCase(true)
  const ratio = vendor.readingsPerS / ourFrame.readingsPerS
  const cpuRatio = vendor.readingsPerCpuS / ourFrame.readingsPerCpuS
  process.stdout.write(`ingest (${UPLINKS} ChirpStack uplinks, window ${WINDOW}, embedded store): our frame ${ourFrame.readingsPerS.toFixed(0)} readings/s, ${ourFrame.readingsPerCpuS.toFixed(0)} per CPU-s · vendor codec (DL-MBX profile) ${vendor.readingsPerS.toFixed(0)} readings/s, ${vendor.readingsPerCpuS.toFixed(0)} per CPU-s → vendor/ours ${ratio.toFixed(2)}× (wall), ${cpuRatio.toFixed(2)}× (CPU)\n`)
  const result = { node: process.version, decodes: DECODES, uplinks: UPLINKS, window: WINDOW, decode, ingest: { ourFrame, vendor, ratioVendorToOurs: ratio, cpuRatioVendorToOurs: cpuRatio } }
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(result, null, 2))
  if (ourFrame.stored !== UPLINKS || vendor.stored !== UPLINKS) {
    process.stderr.write(`not every uplink was stored (ours ${ourFrame.stored}, vendor ${vendor.stored} of ${UPLINKS})\n`)
    process.exitCode = 1
  }
}

void main()
