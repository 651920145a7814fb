import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { createVisionEngine, type VisionEngine } from '../../ingest/vision/engine.js'
import { engineOptionsFrom } from '../../ingest/vision/index.js'
import type { MonkeyAnalysis } from '../../ingest/vision/types.js'
import { SHARED } from '../helpers/app.js'

const IMAGES = join(SHARED, 'images')
const files = readdirSync(IMAGES).filter(f => f.endsWith('.jpg')).sort()

/**
 * The labelled images in ../shared/images (17 monkey, 20 not), the real model,
 * the default configuration. Prints one line per image; the closing note quotes it.
 */
describe('vision accuracy on the shared labelled images', () => {
  let engine: VisionEngine
  const results = new Map<string, MonkeyAnalysis>()

  beforeAll(async () => {
    const config = loadConfig({ overrides: { vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx') } } })
    engine = await createVisionEngine({ ...engineOptionsFrom(config), thumbnailSide: 0 })
    // batches of 8, as a worker takes them from a backlog
    for (let i = 0; i < files.length; i += 8) {
      const chunk = files.slice(i, i + 8)
      const outs = await engine.analyse(chunk.map(f => readFileSync(join(IMAGES, f))))
      outs.forEach((o, k) => {
        if (!o.ok) throw new Error(`${chunk[k]}: ${o.code} ${o.message}`)
        results.set(chunk[k]!, o.analysis)
      })
    }
  })
  afterAll(async () => { await engine?.close() })

  it('finds at least as many monkeys as the whole-frame baseline with no false alarm, and prints the table', () => {
    const rows: string[] = ['image          truth   whole  full   crop   → verdict (via)   label / best box']
    let found = 0
    let falseAlarms = 0
    let baselineFound = 0
    let baselineFalse = 0
    for (const f of files) {
      const a = results.get(f)!
      const monkey = f.startsWith('monkey_')
      if (monkey && a.positive) found++
      if (!monkey && a.positive) falseAlarms++
      const base = a.scores.whole >= 0.02
      if (monkey && base) baselineFound++
      if (!monkey && base) baselineFalse++
      const best = [...a.boxes].sort((x, y) => y.monkeyScore - x.monkeyScore)[0]
      rows.push([
        f.padEnd(14), (monkey ? 'monkey' : 'none').padEnd(7),
        a.scores.whole.toFixed(3), a.scores.fullFrame.toFixed(3), a.scores.bestCrop.toFixed(3),
        '→', (a.positive ? 'MONKEY' : '-').padEnd(6), `(${a.via})`.padEnd(11),
        a.label, best === undefined ? '' : `/ ${best.detLabel} ${best.detScore.toFixed(2)} → ${best.monkeyScore.toFixed(3)}`,
        monkey !== a.positive ? (monkey ? '  MISSED' : '  FALSE ALARM') : ''
      ].join(' '))
    }
    rows.push(`default: ${found}/17 monkeys found, ${falseAlarms}/20 false alarms; whole-frame baseline (centre crop ≥ 0.02): ${baselineFound}/17, ${baselineFalse}/20`)
    process.stdout.write(rows.join('\n') + '\n')
    expect(files.filter(f => f.startsWith('monkey_'))).toHaveLength(17)
    expect(files.filter(f => f.startsWith('none_'))).toHaveLength(20)
    // the baseline reproduces the README's measurement, so the comparison is fair
    expect(baselineFound).toBe(14)
    expect(baselineFalse).toBe(0)
    expect(falseAlarms).toBe(0)
    expect(found).toBeGreaterThanOrEqual(14)
    // the goal; measured 17/17 (monkey_02 is a knife-edge crop at 0.189, so 16 is the floor we hold)
    expect(found).toBeGreaterThanOrEqual(16)
    expect(found).toBeGreaterThanOrEqual(baselineFound)
  })

  it('scores frame-filling monkeys near 1 and labels them as primates', () => {
    for (const f of ['monkey_09.jpg', 'monkey_10.jpg', 'monkey_15.jpg']) {
      const a = results.get(f)!
      expect(a.via).toBe('whole')
      expect(a.monkeyScore).toBeGreaterThan(0.9)
    }
    expect(results.get('monkey_09.jpg')!.label).toMatch(/macaque|monkey|langur|baboon|guenon/)
  })
})
