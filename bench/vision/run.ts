/**
 * bench/vision: the full wildlife pipeline against its floor, in one run.
 *
 *   pipeline: camera envelope published over real MQTT (QoS 1) → broker → ingest
 *             (envelope, header check, file + record) → worker pool (decode,
 *             pre-process, infer) → detection stored and emitted on the bus
 *   floor:    the same images, one thread: sharp decode (with its header check) + every
 *             resize and crop that makes a model input (2 whole-frame views, the detector
 *             input, the gate crop of each box and the 2 other margins of each box that
 *             passed the gate), plus a raw session.run loop on pre-made tensors of the same
 *             shapes the model ran. Not in it: the u8 → float tensor fill, softmax, YOLOX
 *             decoding, thumbnails, messages between threads, and broker + ingest.
 *
 * Usage: npm run bench:vision -- [--repeat 4] [--whole-only] [--workers N]
 * Needs ../shared (or MIMAMORI_SHARED) with models/ and images/.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import sharp from 'sharp'
import * as ort from 'onnxruntime-node'
import { createApp } from '../../cli/app.js'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { packageRoot } from '../../core/paths.js'
import { encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { createVisionEngine } from '../../vision/engine.js'
import { engineOptionsFrom } from '../../vision/index.js'
import { centreCropView, cropView, decodeImage, letterboxView, squareAround } from '../../vision/image.js'
import { loadSession } from '../../vision/classifier.js'
import type { MonkeyAnalysis } from '../../vision/types.js'

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '4' }, 'whole-only': { type: 'boolean', default: false }, workers: { type: 'string', default: '0' } } })
const REPEAT = Number(values.repeat)
const SHARED = process.env.MIMAMORI_SHARED ?? join(packageRoot(), '..', 'shared')
const WORKERS = Number(values.workers) === 0 ? availableParallelism() : Number(values.workers)
const files = readdirSync(join(SHARED, 'images')).filter(f => f.endsWith('.jpg')).sort()
const images = files.map(f => readFileSync(join(SHARED, 'images', f)))

const median = (a: number[]): number => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]! }
const pct = (a: number[], p: number): number => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(s.length * p))]! }

function benchConfig (dataDir: string): Config {
  return loadConfig({
    file: join(packageRoot(), 'config', 'demo.json'),
    overrides: {
      dataDir,
      log: { level: 'silent' },
      broker: { port: 0, wsPort: 0, allowAnonymous: true },
      dashboard: { port: 0 },
      sim: { enabled: false },
      vision: {
        modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'),
        detectorPath: values['whole-only'] === true ? '' : join(SHARED, 'models', 'detector', 'yolox_nano.onnx'),
        workers: WORKERS,
        queueLimit: 256
      },
      wildlife: { imageRetentionDays: 0 }
    }
  })
}

/** the floor: one thread, same process — decode + every model-input resize, then raw session.run on tensors of the same shapes */
async function measureFloor (config: Config): Promise<{ decodeMs: number[], runMs: number[] }> {
  sharp.concurrency(1)
  const opts = engineOptionsFrom(config)
  const engine = await createVisionEngine({ ...opts, thumbnailSide: 0, model: { ...opts.model, threads: 1 } })
  const analyses: MonkeyAnalysis[] = []
  for (const img of images) {
    const o = (await engine.analyse([img]))[0]!
    if (!o.ok) throw new Error(o.message)
    analyses.push(o.analysis)
  }
  await engine.close()
  const decodeMs: number[] = []
  for (let r = 0; r < REPEAT; r++) {
    for (let i = 0; i < images.length; i++) {
      const a = analyses[i]!
      const t0 = performance.now()
      const d = await decodeImage(images[i]!, opts.limits)
      await centreCropView(d)
      await letterboxView(d)
      if (!a.positive || a.via === 'crop') {
        if (opts.model.detectorPath !== '') {
          await sharp(d.data, { raw: { width: d.width, height: d.height, channels: 3 } }).resize({ width: 416, height: 416, fit: 'inside', kernel: 'linear' }).raw().toBuffer()
          // every crop the classifier sees: the gate view (margin 1.3) of each box, the other two
          // margins of each box that passed the gate (the mirrored views are read from these)
          for (const b of a.boxes) await cropView(d, squareAround(b, 1.3, d.width, d.height))
          for (const b of a.boxes.filter(b => b.monkeyScore >= opts.model.cropGate)) {
            for (const m of [1.15, 1.6]) await cropView(d, squareAround(b, m, d.width, d.height))
          }
        }
      }
      decodeMs.push(performance.now() - t0)
    }
  }
  const cls = await loadSession(opts.model.classifierPath, 1)
  const det = opts.model.detectorPath === '' ? undefined : await loadSession(opts.model.detectorPath, 1)
  const tensor = (n: number, c = 224): ort.Tensor => new ort.Tensor('float32', new Float32Array(n * 3 * c * c).fill(0.1), [n, 3, c, c])
  const runMs: number[] = []
  for (let r = 0; r < REPEAT; r++) {
    for (const a of analyses) {
      const t0 = performance.now()
      await cls.run({ input: tensor(2) })
      if (det !== undefined && !(a.positive && a.via !== 'crop')) {
        await det.run({ images: tensor(1, 416) })
        const gated = a.boxes.filter(b => b.monkeyScore >= opts.model.cropGate).length
        if (a.boxes.length > 0) await cls.run({ input: tensor(a.boxes.length) })
        if (gated > 0) await cls.run({ input: tensor(gated * 5) })
      }
      runMs.push(performance.now() - t0)
    }
  }
  await cls.release()
  await det?.release()
  return { decodeMs, runMs }
}

async function main (): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-bench-'))
  const config = benchConfig(dataDir)
  const mode = values['whole-only'] === true ? 'whole frame only' : 'default (whole + full frame + detector crops)'
  process.stdout.write(`bench/vision: ${files.length} images × ${REPEAT}, ${WORKERS} workers, ${mode}, node ${process.version}, ${availableParallelism()} cores\n`)

  // ---- floor, single thread, same process -------------------------------------------
  const { decodeMs, runMs } = await measureFloor(config)
  const floorPerImage = median(decodeMs) + median(runMs)
  const floorMean = decodeMs.reduce((a, b) => a + b, 0) / decodeMs.length + runMs.reduce((a, b) => a + b, 0) / runMs.length

  // ---- full pipeline over MQTT ---------------------------------------------------------
  const app = createApp({ config, logger: silentLogger() })
  const info = await app.start()
  const cameraId = config.cameras[0]!.id
  const cam = await mqtt.connectAsync(info.mqttUrl, { clientId: cameraId })
  const total = images.length * REPEAT
  const sentAt = new Map<string, number>()
  const latency: number[] = []
  let done = 0
  let finished: () => void = () => {}
  const all = new Promise<void>(resolve => { finished = resolve })
  app.bus.on('detection', {}, ({ detection }) => {
    const key = `${detection.time}-${detection.frameIndex}`
    const t = sentAt.get(key)
    if (t !== undefined) latency.push(performance.now() - t)
    if (++done === total) finished()
  })
  const base = Date.now() - 3_600_000
  const payloads = Array.from({ length: total }, (_, k) => {
    const time = base + k * 1000
    return { key: `${time}-0`, body: encodeCameraEnvelope({ capturedAt: new Date(time).toISOString(), burstId: `b${k}`, frameIndex: 0, frameCount: 1 }, images[k % images.length]!) }
  })
  const cpu0 = process.cpuUsage()
  const elu0 = performance.eventLoopUtilization()
  const t0 = performance.now()
  // a camera fleet: up to 16 uploads in flight at once
  let next = 0
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < payloads.length) {
      const p = payloads[next++]!
      sentAt.set(p.key, performance.now())
      await cam.publishAsync(`mmr/v1/camera/${cameraId}/image`, p.body, { qos: 1 })
    }
  }))
  // A stall (no detection for 20 s) ends the run with what arrived, and says so.
  let lastDone = -1
  let stalledFor = 0
  let stalled = false
  const progress = setInterval(() => {
    if (done === lastDone) stalledFor += 5000
    else { lastDone = done; stalledFor = 0 }
    if (stalledFor >= 20_000) { stalled = true; finished() }
    process.stderr.write(`  … ${done}/${total} analysed, ingest ${JSON.stringify(app.ingest?.stats)} broker ${JSON.stringify(app.broker?.counters)}\n`)
  }, 5000)
  await all
  clearInterval(progress)
  const wall = performance.now() - t0 - (stalled ? stalledFor : 0)
  const cpu = process.cpuUsage(cpu0)
  const elu = performance.eventLoopUtilization(elu0)
  if (stalled) process.stdout.write(`WARNING: only ${done}/${total} frames reached detection; broker counters ${JSON.stringify(app.broker?.counters)}, ingest ${JSON.stringify(app.ingest?.stats)}. Figures below use the frames that arrived.\n`)
  const counted = stalled ? done : total
  await cam.endAsync()
  const stats = app.ingest!.wildlife.vision.stats
  await app.close()
  rmSync(dataDir, { recursive: true, force: true })

  const ips = counted / (wall / 1000)
  const perImageCpu = (wall * WORKERS) / counted // worker-milliseconds per image
  const floorIps = (WORKERS * 1000) / floorMean
  const lines = [
    '',
    `floor (1 thread, per image): sharp decode+resize median ${median(decodeMs).toFixed(1)} ms + session.run median ${median(runMs).toFixed(1)} ms = ${floorPerImage.toFixed(1)} ms (mean ${floorMean.toFixed(1)} ms)`,
    `floor throughput with ${WORKERS} cores: ${floorIps.toFixed(1)} images/s`,
    `pipeline: ${counted} images in ${(wall / 1000).toFixed(2)} s = ${ips.toFixed(1)} images/s; ${perImageCpu.toFixed(1)} worker-ms per image; batches ${stats.batches} (mean ${(counted / Math.max(1, stats.batches)).toFixed(1)} images)`,
    `pipeline latency (MQTT publish → detection stored): median ${median(latency).toFixed(0)} ms, p95 ${pct(latency, 0.95).toFixed(0)} ms (includes queueing: all ${total} images were sent at once)`,
    `pipeline CPU (whole process, user+sys): ${((cpu.user + cpu.system) / 1000 / counted).toFixed(1)} ms per image, ${(100 * (cpu.user + cpu.system) / 1000 / (wall * availableParallelism())).toFixed(0)} % of ${availableParallelism()} cores; main thread (broker, ingest) busy ${(elu.active / counted).toFixed(1)} ms per image`,
    `RATIO pipeline / floor per image: ${(perImageCpu / floorMean).toFixed(2)}× (goal ≤ 1.2×); throughput ${ips.toFixed(1)} images/s (goal ≥ 100)`,
    ''
  ]
  process.stdout.write(lines.join('\n'))
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/vision failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
