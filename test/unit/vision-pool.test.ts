import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { silentLogger } from '../../core/logger.js'
import { loadConfig } from '../../core/config/load.js'
import { createVision, type Vision } from '../../vision/index.js'
import { SHARED } from '../helpers/app.js'

describe('vision worker pool (real model, real images)', () => {
  let vision: Vision
  const monkey = readFileSync(join(SHARED, 'images', 'monkey_09.jpg'))
  const empty = readFileSync(join(SHARED, 'images', 'none_20.jpg'))

  beforeAll(async () => {
    const config = loadConfig({ overrides: { vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 2, queueLimit: 6, batchMax: 4 } } })
    vision = createVision({ config, logger: silentLogger() })
    expect((await vision.start()).enabled).toBe(true)
  })
  afterAll(async () => { await vision?.close() })

  it('gives each unusable input its own code and keeps the workers alive', async () => {
    const bomb = Buffer.from(monkey)
    const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]))
    bomb.writeUInt16BE(50000, sof + 5)
    bomb.writeUInt16BE(50000, sof + 7)
    const outs = await Promise.all([
      vision.submit(new Uint8Array(0)),
      vision.submit(Buffer.from('not an image')),
      vision.submit(monkey.subarray(0, 2000)),
      vision.submit(bomb),
      vision.submit(Buffer.alloc(3_000_000, 0xff)),
      vision.submit(monkey)
    ])
    expect(outs.map(o => o.ok ? 'ok' : o.code)).toEqual([
      'MIMAMORI_ERR_IMAGE_EMPTY', 'MIMAMORI_ERR_IMAGE_FORMAT', 'MIMAMORI_ERR_IMAGE_CORRUPT',
      'MIMAMORI_ERR_IMAGE_DIMENSIONS', 'MIMAMORI_ERR_PAYLOAD_TOO_LARGE', 'ok'
    ])
    const good = outs[5]!
    expect(good.ok && good.analysis.positive).toBe(true)
    expect(good.ok && good.thumbnail !== null && (await sharp(good.thumbnail).metadata()).format).toBe('jpeg')
    expect(vision.stats.workerRestarts).toBe(0)
  })

  it('refuses beyond the queue limit (back-pressure) and batches a backlog', async () => {
    const before = vision.stats.batches
    const jobs: Array<Promise<unknown>> = []
    let busy = 0
    for (let i = 0; i < 14; i++) {
      try {
        jobs.push(vision.submit(i % 2 === 0 ? monkey : empty).catch((err: { code: string }) => { if (err.code === 'MIMAMORI_ERR_VISION_BUSY') busy++; else throw err }))
      } catch { busy++ }
    }
    await Promise.all(jobs)
    // 2 workers × up to 4 in flight + 6 queued: the rest were refused at once
    expect(busy).toBeGreaterThan(0)
    expect(vision.stats.batches - before).toBeLessThan(14 - busy)
    // whenAccepting resolves once there is room again
    await vision.whenAccepting()
    const out = await vision.submit(empty)
    expect(out.ok && !out.analysis.positive).toBe(true)
  })
})

describe('vision pool: places held before the ack, a pluggable model, a dying worker', () => {
  const MODEL = join(SHARED, 'models', 'mobilenetv2-12-int8.onnx')
  const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'vision-adapter')
  const monkey = readFileSync(join(SHARED, 'images', 'monkey_09.jpg'))
  const empty = readFileSync(join(SHARED, 'images', 'none_20.jpg'))
  const visions: Vision[] = []
  const start = async (vision: Record<string, unknown>): Promise<{ vision: Vision, r: Awaited<ReturnType<Vision['start']>> }> => {
    const v = createVision({ config: loadConfig({ overrides: { vision: { modelPath: MODEL, detectorPath: '', ...vision } } }), logger: silentLogger() })
    visions.push(v)
    return { vision: v, r: await v.start() }
  }
  afterAll(async () => { for (const v of visions) await v.close() })

  it('gives each free place to one reserver at a time: many waiting frames, none refused', async () => {
    const { vision } = await start({ workers: 1, queueLimit: 2, batchMax: 1 })
    const results: Array<Promise<unknown>> = []
    let most = 0
    // 12 frames try at once; each waits for its own place, then is queued without a limit check
    await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const place = await vision.reserve()
      most = Math.max(most, vision.stats.queued + vision.stats.reserved)
      results.push(vision.submit(i % 2 === 0 ? monkey : empty, { reservation: place }))
    }))
    const outs = await Promise.all(results) as Array<{ ok: boolean }>
    expect(outs.every(o => o.ok)).toBe(true)
    expect(vision.stats.completed).toBe(12)
    // never more queued or promised than the limit
    expect(most).toBeLessThanOrEqual(2)
    expect(vision.stats.reserved).toBe(0)
  })

  it('loads a model adapter module in the workers (the real classifier on the squashed whole frame)', async () => {
    const { vision, r } = await start({ workers: 1, adapter: join(FIXTURES, 'whole-frame.mjs'), adapterThreshold: 0.5 })
    expect(r).toMatchObject({ enabled: true, model: 'whole-frame-squash-mobilenetv2' })
    const [m, e] = await Promise.all([vision.submit(monkey), vision.submit(empty)])
    if (!m.ok || !e.ok) throw new Error('adapter failed')
    process.stdout.write(`adapter whole-frame: monkey_09 ${m.analysis.monkeyScore.toFixed(3)} (${m.analysis.label}), none_20 ${e.analysis.monkeyScore.toFixed(3)} (${e.analysis.label})\n`)
    // filled in by the engine: verdict from adapterThreshold, via 'model', no boxes, no stage scores
    const { width } = await sharp(monkey).metadata()
    expect(m.analysis).toMatchObject({ positive: true, via: 'model', boxes: [], width })
    expect(m.analysis.monkeyScore).toBeGreaterThanOrEqual(0.5)
    expect(m.analysis.scores).toBeUndefined()
    expect(m.thumbnail).not.toBeNull()
    expect(e.analysis).toMatchObject({ positive: false, via: 'none' })
    expect(e.analysis.monkeyScore).toBeLessThan(0.5)
    // the scores are the adapter's own, not the built-in centre crop's
    const builtIn = (await start({ workers: 1 })).vision
    const b = await builtIn.submit(monkey)
    expect(b.ok && b.analysis.scores?.whole).not.toBe(m.analysis.monkeyScore)
  })

  it('starts disabled, with the reason, when the adapter module is missing', async () => {
    const { r } = await start({ workers: 1, adapter: join(FIXTURES, 'no-such-adapter.mjs') })
    expect(r.enabled).toBe(false)
    expect(r.reason).toMatch(/no-such-adapter\.mjs not found/)
  })

  it('replaces a worker that dies on a poison frame; the other frames still get results', async () => {
    const { vision } = await start({ workers: 1, batchMax: 1, queueLimit: 8, adapter: join(FIXTURES, 'exits-on-tiny.mjs') })
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer()
    const outs = await Promise.all([vision.submit(monkey), vision.submit(tiny), vision.submit(empty), vision.submit(monkey)])
    expect(outs.map(o => o.ok ? 'ok' : o.code)).toEqual(['ok', 'MIMAMORI_ERR_VISION', 'ok', 'ok'])
    expect(outs[1]!.ok ? '' : outs[1]!.message).toMatch(/worker exited \(code 70\)/)
    expect(vision.stats.workerRestarts).toBe(1)
    // a second poison frame: replaced again, and still working
    expect((await vision.submit(tiny)).ok).toBe(false)
    const after = await vision.submit(monkey)
    expect(after.ok && after.analysis.positive).toBe(true)
    expect(vision.stats.workerRestarts).toBe(2)
  })
})
