import { createClassifier, type Classifier, type ClassifierView, type ClassScore } from './classifier.js'
import { createDetector, type Detector } from './detector.js'
import { iou } from './boxes.js'
import { centreCropView, cropView, letterboxView, squareAround } from './image.js'
import { burstMotion, greyFrame, type MotionRegion } from './motion.js'
import { isStatic, normBox } from './static-suppression.js'
import type { AnalyseContext, DecodedImage, DetectionBox, MonkeyAnalysis, MonkeyModel, MonkeyModelOptions } from './types.js'

export const DEFAULT_MONKEY_OPTIONS: Omit<MonkeyModelOptions, 'classifierPath' | 'labelsPath' | 'detectorPath'> = {
  wholeThreshold: 0.02,
  fullFrameThreshold: 0.1,
  cropThreshold: 0.15,
  detectorMinScore: 0.02,
  maxCrops: 12,
  cropGate: 0.03,
  threads: 1,
  motion: true
}

/** crop margins (× the box's longer side); the first is the gate view */
const MARGINS = [1.3, 1.15, 1.6] as const

/** share of box b covered by region r */
function overlap (r: { x0: number, y0: number, x1: number, y1: number }, b: { x0: number, y0: number, x1: number, y1: number }): number {
  const ix = Math.max(0, Math.min(r.x1, b.x1) - Math.max(r.x0, b.x0))
  const iy = Math.max(0, Math.min(r.y1, b.y1) - Math.max(r.y0, b.y0))
  const area = (b.x1 - b.x0) * (b.y1 - b.y0)
  return area <= 0 ? 0 : (ix * iy) / area
}

/**
 * The default adapter: ImageNet MobileNetV2 scores three kinds of view and a
 * frame is positive when any view passes its own threshold:
 *
 * 1. `whole`: the README pre-processing (centre crop) — the measured baseline;
 * 2. `fullFrame`: the letterboxed whole frame, so a monkey at the edge is not cut off;
 * 3. `crop`: squares around YOLOX-Nano animal boxes. Background crops score higher than
 *    whole frames (a stump called "giraffe"), so the crop score is the mean over three
 *    margins × mirror (6 views) and its threshold is higher. A crop whose first view is
 *    below `cropGate` is not worth the other five.
 *
 * The whole-frame stage decides first; the detector runs only on frames it calls negative.
 */
export async function createMonkeyModel (o: MonkeyModelOptions): Promise<MonkeyModel> {
  const classifier = await createClassifier({ modelPath: o.classifierPath, labelsPath: o.labelsPath, threads: o.threads })
  let detector: Detector | undefined
  if (o.detectorPath !== '') detector = await createDetector({ modelPath: o.detectorPath, threads: o.threads })

  return {
    name: detector === undefined ? 'mobilenetv2-12-int8' : 'yolox-nano+mobilenetv2-12-int8',
    async analyse (images, ctx) {
      const results = await scoreWhole(images, classifier, o)
      if (detector === undefined && !o.motion) return results
      const plan = o.motion ? await planMotion(images, results, ctx) : { motionOf: new Map<number, MotionRegion[]>(), detectOnly: new Set<number>(), inBurst: new Set<number>() }

      // Stage 2 on the frames still negative: detector boxes (minus static places) and motion regions → crops.
      const pending: Pending[] = []
      for (let i = 0; i < images.length; i++) {
        const res = results[i]!
        if (res.positive) continue
        const img = images[i]!
        const regions = plan.motionOf.get(i) ?? []
        const boxes: DetectionBox[] = []
        if (detector !== undefined && (!plan.inBurst.has(i) || plan.detectOnly.has(i))) {
          const cam = ctx?.frames?.[i]?.cameraId
          const statics = cam === undefined ? [] : ctx?.statics?.[cam] ?? []
          for (const b of await detector.detect(img, o.detectorMinScore, o.maxCrops)) {
            const box: DetectionBox = { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1, detScore: b.score, detLabel: b.label, monkeyScore: 0, source: 'detector' }
            // a static place is skipped unless something moved on it in this burst
            if (statics.length > 0 && isStatic(normBox(b, img.width, img.height), statics) && !regions.some(r => overlap(r, b) >= 0.3)) box.static = true
            boxes.push(box)
          }
        }
        for (const r of regions) {
          // a region the detector already boxed needs no second crop
          if (boxes.some(b => !b.static && iou(b, r) >= 0.5)) continue
          boxes.push({ x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, detScore: r.area, detLabel: 'motion', monkeyScore: 0, source: 'motion' })
        }
        pending.push({ img, res, boxes })
      }
      await scoreCrops(pending, classifier, o)
      finish(pending, o)
      return results
    },
    async close () {
      await classifier.close()
      await detector?.close()
    }
  }
}

interface Pending { img: DecodedImage, res: MonkeyAnalysis, boxes: DetectionBox[] }

/** stage 1: the centre crop and the letterboxed frame of every image, in one classifier run */
async function scoreWhole (images: DecodedImage[], classifier: Classifier, o: MonkeyModelOptions): Promise<MonkeyAnalysis[]> {
  const views: Buffer[] = []
  for (const img of images) views.push(await centreCropView(img), await letterboxView(img))
  const whole = await classifier.score(views)
  return images.map((img, i) => {
    const cc = whole[2 * i]!
    const lb = whole[2 * i + 1]!
    const best = cc.monkey >= lb.monkey ? cc : lb
    const via = cc.monkey >= o.wholeThreshold ? 'whole' : lb.monkey >= o.fullFrameThreshold ? 'fullFrame' : 'none'
    return {
      positive: via !== 'none',
      via,
      monkeyScore: via === 'fullFrame' ? lb.monkey : via === 'whole' ? cc.monkey : best.monkey,
      label: classifier.label(best.top),
      scores: { whole: cc.monkey, fullFrame: lb.monkey, bestCrop: 0 },
      boxes: [],
      width: img.width,
      height: img.height
    }
  })
}

/** motion regions of the bursts in this batch, and which of their frames the detector runs on */
async function planMotion (images: DecodedImage[], results: MonkeyAnalysis[], ctx: AnalyseContext | undefined): Promise<{ motionOf: Map<number, MotionRegion[]>, detectOnly: Set<number>, inBurst: Set<number> }> {
  // Bursts: frames of one camera and burst in this batch, in frame order.
  const groups = new Map<string, number[]>()
  ctx?.frames?.forEach((f, i) => {
    if (f === undefined) return
    const key = `${f.cameraId}\n${f.burstId}`
    const g = groups.get(key) ?? []
    g.push(i)
    groups.set(key, g)
  })
  const motionOf = new Map<number, MotionRegion[]>()
  /** frames whose burst gave usable motion evidence */
  const detectOnly = new Set<number>()
  let inBurst = new Set<number>()
  for (const g of groups.values()) {
    if (g.length < 2) continue
    g.sort((a, b) => ctx!.frames![a]!.frameIndex - ctx!.frames![b]!.frameIndex)
    // motion is only worth computing when some frame of the burst is still undecided
    if (g.every(i => results[i]!.positive)) continue
    const greys = await Promise.all(g.map(async i => await greyFrame(images[i]!)))
    const m = burstMotion(greys)
    if (!m.usable) continue
    g.forEach((i, k) => { motionOf.set(i, m.regions[k]!) })
    // the detector runs on the frames that moved; a burst where nothing moved
    // (a still animal, a false trigger) gets one detector run on its first undecided frame
    const negatives = g.filter(i => !results[i]!.positive)
    const moved = negatives.filter(i => (motionOf.get(i)?.length ?? 0) > 0)
    for (const i of moved.length > 0 ? moved : negatives.slice(0, 1)) detectOnly.add(i)
    inBurst = new Set([...inBurst, ...g])
  }
  return { motionOf, detectOnly, inBurst }
}

/** sets each crop box's monkeyScore: the gate view, then (past the gate) the mean over margins × mirror */
async function scoreCrops (pending: Pending[], classifier: Classifier, o: MonkeyModelOptions): Promise<void> {
  const gateViews: Buffer[] = []
  const owners: Array<{ img: DecodedImage, box: DetectionBox }> = []
  for (const p of pending) {
    for (const box of p.boxes) {
      if (box.static === true) continue
      gateViews.push(await cropView(p.img, squareAround(box, MARGINS[0], p.img.width, p.img.height)))
      owners.push({ img: p.img, box })
    }
  }
  if (gateViews.length === 0) return
  const gate = await classifier.score(gateViews)
  const more: ClassifierView[] = []
  const moreOwners: Array<{ box: DetectionBox, first: ClassScore }> = []
  owners.forEach(({ box }, k) => {
    const first = gate[k]!
    box.monkeyScore = first.monkey
    if (first.monkey < o.cropGate) return
    moreOwners.push({ box, first })
    more.push({ view: gateViews[k]!, mirrored: true })
  })
  // the other margins, each plain and mirrored
  for (const { box } of moreOwners) {
    const img = owners.find(x => x.box === box)!.img
    for (const m of MARGINS.slice(1)) {
      const v = await cropView(img, squareAround(box, m, img.width, img.height))
      more.push(v, { view: v, mirrored: true })
    }
  }
  if (more.length === 0) return
  const s = await classifier.score(more)
  // layout of `more`: one mirror per box, then `others` views per box
  const others = 2 * (MARGINS.length - 1)
  moreOwners.forEach(({ box, first }, j) => {
    let sum = first.monkey + s[j]!.monkey
    for (let k = 0; k < others; k++) sum += s[moreOwners.length + j * others + k]!.monkey
    box.monkeyScore = sum / (2 + others)
  })
}

/** rounds the boxes into the results and lets the best crop decide the frames still negative */
function finish (pending: Pending[], o: MonkeyModelOptions): void {
  for (const p of pending) {
    p.res.boxes = p.boxes.map(b => ({ ...b, x0: Math.round(b.x0), y0: Math.round(b.y0), x1: Math.round(b.x1), y1: Math.round(b.y1) }))
    const bestCrop = p.boxes.reduce((m, b) => Math.max(m, b.monkeyScore), 0)
    p.res.scores.bestCrop = bestCrop
    if (bestCrop >= o.cropThreshold) {
      p.res.positive = true
      p.res.via = 'crop'
      p.res.monkeyScore = bestCrop
    }
  }
}
