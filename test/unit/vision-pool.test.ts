import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { silentLogger } from '../../core/logger.js'
import { loadConfig } from '../../core/config/load.js'
import { createVision, type Vision } from '../../ingest/vision/index.js'
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
