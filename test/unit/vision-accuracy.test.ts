import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { DEFAULT_JPEG, jpegOptionsFrom, toUploadJpeg } from '../../edge/camera/frame.js'
import { createVisionEngine, type VisionEngine } from '../../vision/engine.js'
import { engineOptionsFrom } from '../../vision/index.js'
import type { MonkeyAnalysis } from '../../vision/types.js'
import { SHARED } from '../helpers/app.js'

const IMAGES = join(SHARED, 'images')
const files = readdirSync(IMAGES).filter(f => f.endsWith('.jpg')).sort()
const isMonkey = (f: string): boolean => f.startsWith('monkey_')

interface Pass { results: Map<string, MonkeyAnalysis>, bytes: Map<string, number> }

/**
 * The labelled images in ../shared/images (17 monkey, 20 not), the real model,
 * the default configuration. Two passes: the files as they are, and the files
 * as a camera with the default settings uploads them (resized and re-encoded
 * by edge/camera/frame.ts), since that is what ingest actually sees. Prints one
 * line per image and pass; the closing note quotes them.
 */
describe('vision accuracy on the shared labelled images', () => {
  const config = loadConfig({ overrides: { vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx') } } })
  const cameraJpeg = jpegOptionsFrom(config)
  let engine: VisionEngine
  let original: Pass
  let uploaded: Pass
  const fileBytes = new Map<string, Buffer>()
  const uploadBytes = new Map<string, Buffer>()

  async function analyseAll (images: Map<string, Buffer>): Promise<Pass> {
    const results = new Map<string, MonkeyAnalysis>()
    // batches of 8, as a worker takes them from a backlog
    for (let i = 0; i < files.length; i += 8) {
      const chunk = files.slice(i, i + 8)
      const outs = await engine.analyse(chunk.map(f => images.get(f)!))
      outs.forEach((o, k) => {
        if (!o.ok) throw new Error(`${chunk[k]}: ${o.code} ${o.message}`)
        results.set(chunk[k]!, o.analysis)
      })
    }
    return { results, bytes: new Map([...images].map(([f, b]) => [f, b.length])) }
  }

  beforeAll(async () => {
    engine = await createVisionEngine({ ...engineOptionsFrom(config), thumbnailSide: 0 })
    for (const f of files) fileBytes.set(f, readFileSync(join(IMAGES, f)))
    original = await analyseAll(fileBytes)
    for (const [f, b] of fileBytes) uploadBytes.set(f, await toUploadJpeg(b, cameraJpeg))
    uploaded = await analyseAll(uploadBytes)
  })
  afterAll(async () => { await engine?.close() })

  /** prints the per-image table of a pass and returns its counts */
  function table (title: string, p: Pass): { found: number, falseAlarms: number, baselineFound: number, baselineFalse: number } {
    const rows: string[] = [title, 'image          truth   bytes    whole  full   crop   → verdict (via)   label / best box']
    let found = 0
    let falseAlarms = 0
    let baselineFound = 0
    let baselineFalse = 0
    for (const f of files) {
      const a = p.results.get(f)!
      const monkey = isMonkey(f)
      if (monkey && a.positive) found++
      if (!monkey && a.positive) falseAlarms++
      const base = a.scores.whole >= 0.02
      if (monkey && base) baselineFound++
      if (!monkey && base) baselineFalse++
      const best = [...a.boxes].sort((x, y) => y.monkeyScore - x.monkeyScore)[0]
      rows.push([
        f.padEnd(14), (monkey ? 'monkey' : 'none').padEnd(7), String(p.bytes.get(f)).padStart(7), '',
        a.scores.whole.toFixed(3), a.scores.fullFrame.toFixed(3), a.scores.bestCrop.toFixed(3),
        '→', (a.positive ? 'MONKEY' : '-').padEnd(6), `(${a.via})`.padEnd(11),
        a.label, best === undefined ? '' : `/ ${best.detLabel} ${best.detScore.toFixed(2)} → ${best.monkeyScore.toFixed(3)}`,
        monkey !== a.positive ? (monkey ? '  MISSED' : '  FALSE ALARM') : ''
      ].join(' '))
    }
    const sizes = [...p.bytes.values()].sort((x, y) => x - y)
    const total = sizes.reduce((n, b) => n + b, 0)
    rows.push(`${found}/17 monkeys found, ${falseAlarms}/20 false alarms; whole-frame baseline (centre crop ≥ 0.02): ${baselineFound}/17, ${baselineFalse}/20; ` +
      `bytes per frame: median ${sizes[Math.floor(sizes.length / 2)]}, mean ${Math.round(total / sizes.length)}, max ${sizes[sizes.length - 1]}`)
    process.stdout.write(rows.join('\n') + '\n')
    return { found, falseAlarms, baselineFound, baselineFalse }
  }

  it('finds at least as many monkeys as the whole-frame baseline with no false alarm, and prints the table', () => {
    const r = table('original files', original)
    expect(files.filter(isMonkey)).toHaveLength(17)
    expect(files.filter(f => f.startsWith('none_'))).toHaveLength(20)
    // the baseline reproduces the README's measurement, so the comparison is fair
    expect(r.baselineFound).toBe(14)
    expect(r.baselineFalse).toBe(0)
    expect(r.falseAlarms).toBe(0)
    expect(r.found).toBeGreaterThanOrEqual(14)
    // the goal; measured 17/17 (monkey_02 is a knife-edge crop at 0.189, so 16 is the floor we hold)
    expect(r.found).toBeGreaterThanOrEqual(16)
    expect(r.found).toBeGreaterThanOrEqual(r.baselineFound)
  })

  it('still meets the baseline on the frames a default camera uploads (resized, re-encoded)', () => {
    // the pass must use what the camera code and the config default to, not settings of its own
    expect(cameraJpeg).toEqual(DEFAULT_JPEG)
    const r = table(`as uploaded by a default camera (longest side ${cameraJpeg.maxSide} px, JPEG q${cameraJpeg.quality})`, uploaded)
    // every frame went through the encoder: none is byte-identical to its file
    for (const f of files) expect(uploadBytes.get(f)!.equals(fileBytes.get(f)!)).toBe(false)
    expect(r.falseAlarms).toBe(0)
    expect(r.found).toBeGreaterThanOrEqual(14)
  })

  it('scores frame-filling monkeys near 1 and labels them as primates', () => {
    for (const f of ['monkey_09.jpg', 'monkey_10.jpg', 'monkey_15.jpg']) {
      const a = original.results.get(f)!
      expect(a.via).toBe('whole')
      expect(a.monkeyScore).toBeGreaterThan(0.9)
    }
    expect(original.results.get('monkey_09.jpg')!.label).toMatch(/macaque|monkey|langur|baboon|guenon/)
  })
})
