import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { silentLogger } from '../../core/logger.js'
import { loadConfig } from '../../core/config/load.js'
import { createVision, type Vision } from '../../vision/index.js'
import { burstMotion, greyFrame, type GreyFrame } from '../../vision/motion.js'
import { createStaticMemory, DEFAULT_STATIC_OPTIONS } from '../../vision/static-suppression.js'
import type { DetectionBox, MonkeyAnalysis, VisionOutcome } from '../../vision/types.js'
import { SHARED } from '../helpers/app.js'

const img = (name: string): Buffer => readFileSync(join(SHARED, 'images', name))
const iou = (a: { x0: number, y0: number, x1: number, y1: number }, b: { x0: number, y0: number, x1: number, y1: number }): number => {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0))
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0))
  const inter = ix * iy
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter)
}
// the built-in adapter scores every stage
const analysis = (o: VisionOutcome): MonkeyAnalysis => { if (!o.ok) throw new Error(`${o.code}: ${o.message}`); return o.analysis as MonkeyAnalysis }
const motionBoxes = (o: VisionOutcome): DetectionBox[] => analysis(o).boxes.filter(b => b.source === 'motion')

/**
 * The shared images are single frames, so the bursts here are COMPOSITED, not
 * captured: a real empty camera-trap frame (none_13, empty forest, 1280×960) is
 * the background, and a 160-px copy of a real monkey photo (monkey_12, a blue
 * monkey in a tree) is pasted at three positions across the burst with sharp,
 * each frame JPEG-encoded on its own as a camera would. The static-object test
 * replays real frames of the Serengeti vervet camera (none_10, monkey_03) whose
 * dead stump the detector calls a "giraffe" in every frame.
 */
describe('burst-aware detection with the real model (composited bursts)', () => {
  let vision: Vision
  const POSITIONS = [[0.15, 0.55], [0.4, 0.5], [0.65, 0.45]] as const
  const SIDE = 160
  let bg: Buffer
  const pasted: Array<{ x0: number, y0: number, x1: number, y1: number }> = []
  const burst: Buffer[] = []

  beforeAll(async () => {
    const config = loadConfig({ overrides: { vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 2, batchMax: 2, queueLimit: 16, staticMinBursts: 3 } } })
    vision = createVision({ config, logger: silentLogger() })
    expect((await vision.start()).enabled).toBe(true)
    bg = img('none_13.jpg')
    const { width, height } = await sharp(bg).metadata()
    const monkey = await sharp(img('monkey_12.jpg')).resize(SIDE, SIDE, { fit: 'inside' }).toBuffer()
    const m = await sharp(monkey).metadata()
    for (const [fx, fy] of POSITIONS) {
      const left = Math.round(fx * width!)
      const top = Math.round(fy * height!)
      pasted.push({ x0: left, y0: top, x1: left + m.width!, y1: top + m.height! })
      burst.push(await sharp(bg).composite([{ input: monkey, left, top }]).jpeg({ quality: 90 }).toBuffer())
    }
  })
  afterAll(async () => { await vision?.close() })

  it('finds the moving monkey from the burst\'s motion regions where each frame alone is negative', async () => {
    const alone = await Promise.all(burst.map(async b => await vision.submit(b)))
    const together = await vision.submitBurst(burst.map((bytes, frameIndex) => ({ bytes, frame: { cameraId: 'cam-forest', burstId: 'b-monkey', frameIndex } })))
    const rows = together.map((o, k) => {
      const a = analysis(o)
      const m = motionBoxes(o)
      return `frame ${k}: alone ${analysis(alone[k]!).positive ? 'MONKEY' : '-'} (best crop ${analysis(alone[k]!).scores.bestCrop.toFixed(3)}); burst ${a.positive ? 'MONKEY' : '-'} via ${a.via}, motion ${m.map(b => `[${b.x0},${b.y0},${b.x1},${b.y1}] → ${b.monkeyScore.toFixed(3)}`).join(' ')}; pasted at [${Object.values(pasted[k]!).join(',')}]`
    })
    process.stdout.write(rows.join('\n') + '\n')
    // the baseline and the detector alone miss this small monkey in every frame
    expect(alone.filter(o => analysis(o).positive)).toHaveLength(0)
    for (const [k, o] of together.entries()) {
      const m = motionBoxes(o)
      // one motion region per frame, on the pasted monkey
      expect(m).toHaveLength(1)
      expect(iou(m[0]!, pasted[k]!)).toBeGreaterThan(0.7)
    }
    // enough frames for a 2-of-3 sighting, each through a motion crop
    const positives = together.filter(o => analysis(o).positive)
    expect(positives.length).toBeGreaterThanOrEqual(2)
    for (const o of positives) expect(analysis(o).via).toBe('crop')
  })

  it('finds no motion in a burst of the empty scene (re-encoded at different qualities)', async () => {
    const frames = await Promise.all([95, 85, 75].map(async q => await sharp(bg).jpeg({ quality: q }).toBuffer()))
    const outs = await vision.submitBurst(frames.map((bytes, frameIndex) => ({ bytes, frame: { cameraId: 'cam-forest', burstId: 'b-empty', frameIndex } })))
    process.stdout.write(`empty burst: ${outs.map(o => `${analysis(o).via} whole ${analysis(o).scores.whole.toFixed(3)}`).join('; ')}\n`)
    for (const o of outs) {
      expect(motionBoxes(o)).toHaveLength(0)
      // no crop makes a false alarm here. (The q85 re-encode scores 0.027 on the whole-frame
      // stage, over its 0.02 threshold: a single-frame false positive of the baseline stage,
      // which the 2-of-3 burst vote absorbs; motion does not add to it.)
      expect(analysis(o).via).not.toBe('crop')
    }
    expect(outs.filter(o => analysis(o).positive).length).toBeLessThan(2)
    // nothing moved: the detector ran on one frame of the three, not on all
    expect(outs.filter(o => analysis(o).boxes.some(b => b.source === 'detector')).length).toBeLessThanOrEqual(1)
  })

  it('keeps a burst in one worker batch even above batchMax', async () => {
    const before = vision.stats.batches
    await vision.submitBurst(burst.map((bytes, frameIndex) => ({ bytes, frame: { cameraId: 'cam-forest', burstId: 'b-batch', frameIndex } })))
    expect(vision.stats.batches - before).toBe(1)
  })

  it('learns the stump that recurs in every burst of one camera and stops cropping it, while a new box still passes', async () => {
    const cam = 'cam-serengeti'
    const empty = img('none_10.jpg')
    // before any memory: the stump ("giraffe") boxes are cropped and classified
    const first = analysis(await vision.submit(empty, { frame: { cameraId: cam, burstId: 's0', frameIndex: 0 } }))
    const stump = first.boxes.filter(b => b.source === 'detector')
    expect(stump.length).toBeGreaterThan(0)
    expect(stump.every(b => b.static !== true && b.monkeyScore > 0)).toBe(true)
    // the same empty scene in more bursts (re-encoded, as a camera re-captures it)
    for (const [k, q] of [92, 88, 84].entries()) {
      await vision.submit(await sharp(empty).jpeg({ quality: q }).toBuffer(), { frame: { cameraId: cam, burstId: `s${k + 1}`, frameIndex: 0 } })
    }
    expect(vision.statics.known(cam).length).toBeGreaterThan(0)
    const later = analysis(await vision.submit(empty, { frame: { cameraId: cam, burstId: 's4', frameIndex: 0 } }))
    const laterDet = later.boxes.filter(b => b.source === 'detector')
    expect(laterDet.length).toBeGreaterThan(0)
    // every stump box is now static: no crop was classified, so no crop score at all
    expect(laterDet.every(b => b.static === true && b.monkeyScore === 0)).toBe(true)
    expect(later.scores.bestCrop).toBe(0)

    // a vervet at the right edge of the same camera: a new box, not static, still found
    const monkey = analysis(await vision.submit(img('monkey_03.jpg'), { frame: { cameraId: cam, burstId: 's5', frameIndex: 0 } }))
    const det = monkey.boxes.filter(b => b.source === 'detector')
    process.stdout.write(`monkey_03 on the learnt camera: ${det.map(b => `${b.detLabel} [${b.x0},${b.y0},${b.x1},${b.y1}] ${b.static === true ? 'STATIC' : b.monkeyScore.toFixed(3)}`).join('; ')}\n`)
    expect(monkey.positive).toBe(true)
    const best = [...det].sort((a, b) => b.monkeyScore - a.monkeyScore)[0]!
    expect(best.static).not.toBe(true)
    expect(best.x0).toBeGreaterThan(1000)
    expect(det.filter(b => b.static === true).length).toBeGreaterThanOrEqual(2)
    // the memory is per camera: another camera still crops the same place
    const other = analysis(await vision.submit(empty, { frame: { cameraId: 'cam-elsewhere', burstId: 'x0', frameIndex: 0 } }))
    expect(other.boxes.some(b => b.static === true)).toBe(false)
    expect(other.scores.bestCrop).toBeGreaterThan(0)
  })
})

describe('burstMotion on grey frames', () => {
  const frame = (w: number, h: number, fill: number, rect?: { x: number, y: number, s: number, v: number }): GreyFrame => {
    const data = new Uint8Array(w * h).fill(fill)
    // a little texture so the frames are not flat
    for (let i = 0; i < data.length; i++) data[i] = fill + ((i * 7919) % 9) - 4
    if (rect !== undefined) for (let y = rect.y; y < rect.y + rect.s; y++) for (let x = rect.x; x < rect.x + rect.s; x++) data[y * w + x] = rect.v
    return { data, width: w, height: h, srcWidth: w * 10, srcHeight: h * 10 }
  }

  it('puts one region on the moving object in each frame, in source pixels, despite an exposure change', () => {
    const frames = [frame(120, 90, 100, { x: 10, y: 40, s: 12, v: 200 }), frame(120, 90, 115, { x: 50, y: 40, s: 12, v: 215 }), frame(120, 90, 100, { x: 90, y: 40, s: 12, v: 200 })]
    const m = burstMotion(frames)
    expect(m.usable).toBe(true)
    expect(m.regions.map(r => r.length)).toEqual([1, 1, 1])
    expect(m.regions[1]![0]).toMatchObject({ x0: 500, y0: 400, x1: 620, y1: 520 })
  })

  it('gives no evidence for frames of different sizes, a single frame, or a scene change', () => {
    expect(burstMotion([frame(120, 90, 100)]).usable).toBe(false)
    expect(burstMotion([frame(120, 90, 100), frame(90, 120, 100)]).usable).toBe(false)
    const flip = frame(120, 90, 100)
    for (let i = 0; i < flip.data.length; i += 2) flip.data[i] = 250
    expect(burstMotion([frame(120, 90, 100), flip, frame(120, 90, 100)]).usable).toBe(false)
  })

  it('makes grey frames with sharp at the configured size', async () => {
    const g = await greyFrame({ data: Buffer.alloc(640 * 480 * 3, 128), width: 640, height: 480 }, 160)
    expect([g.width, g.height, g.data.length, g.srcWidth]).toEqual([160, 120, 160 * 120, 640])
  })
})

describe('static memory', () => {
  const stump = { x0: 460, y0: 250, x1: 570, y1: 420 }
  it('calls a place static after minBursts bursts at IoU ≥ 0.5, and forgets it when it stops recurring', () => {
    const mem = createStaticMemory({ ...DEFAULT_STATIC_OPTIONS, minBursts: 3 })
    mem.observe('c', 'b1', 1280, 960, [stump])
    mem.observe('c', 'b1', 1280, 960, [stump]) // the same burst counts once
    mem.observe('c', 'b2', 1280, 960, [{ x0: 470, y0: 255, x1: 575, y1: 415 }])
    expect(mem.known('c')).toHaveLength(0)
    // a different resolution of the same camera still matches (positions are fractions)
    mem.observe('c', 'b3', 640, 480, [{ x0: 230, y0: 125, x1: 285, y1: 210 }])
    expect(mem.known('c')).toHaveLength(1)
    expect(mem.known('other')).toHaveLength(0)
    // a box seen once is not static
    mem.observe('c', 'b4', 1280, 960, [stump, { x0: 1000, y0: 500, x1: 1100, y1: 600 }])
    expect(mem.known('c')).toHaveLength(1)
    // the stump is gone (cut down): after enough bursts without it, it is no longer static
    for (let k = 5; k < 10; k++) mem.observe('c', `b${k}`, 1280, 960, [])
    expect(mem.known('c')).toHaveLength(0)
  })

  it('is off with minBursts 0', () => {
    const mem = createStaticMemory({ ...DEFAULT_STATIC_OPTIONS, minBursts: 0 })
    for (let k = 0; k < 5; k++) mem.observe('c', `b${k}`, 1280, 960, [stump])
    expect(mem.known('c')).toHaveLength(0)
  })
})
