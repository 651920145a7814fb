import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { createRng } from '../../core/random.js'
import { REPO_ROOT, SHARED } from '../helpers/app.js'

const run = promisify(execFile)
const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')
const REF = join(SHARED, 'data', 'river', 'kuji_nukada_2026-08-12_rise_10min.csv')
const dir = mkdtempSync(join(tmpdir(), 'mimamori-evaluate-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const SHIFT_M = 0.05
const LAG_MS = 30 * 60_000 // three 10-min samples

describe('mimamori evaluate (精度評価)', () => {
  it('reports the shift and lag given to a noised copy of the 額田 series, within one sample', async () => {
    // the stand-in for a cheap gauge: the real 額田 series 30 min late, 5 cm high, σ 1 cm noise, every 50th reading lost
    const rng = createRng(21)
    const rows = readFileSync(REF, 'utf8').trim().split('\n').slice(1)
    const ours = ['time,level_m']
    rows.forEach((l, i) => {
      if (i % 50 === 49) return
      const [t, v] = l.split(',')
      ours.push(`${new Date(Date.parse(t!) + LAG_MS).toISOString()},${(Number(v) + SHIFT_M + rng.normal() * 0.01).toFixed(3)}`)
    })
    const oursFile = join(dir, 'cheap-gauge.csv')
    writeFileSync(oursFile, ours.join('\n') + '\n')
    const out = join(dir, 'report')
    const { stdout } = await run(process.execPath, [CLI, 'evaluate', '--ours', oursFile, '--reference', REF, '--threshold=-0.3', '--threshold=0.1', '--out', out])
    const r = JSON.parse(stdout)
    expect(Math.abs(r.lagMs - LAG_MS)).toBeLessThanOrEqual(r.stepMs)
    expect(r.stepMs).toBe(600_000)
    expect(Math.abs(r.atLag.biasM - SHIFT_M)).toBeLessThan(0.01)
    expect(r.atLag.rmseM).toBeLessThan(SHIFT_M + 0.02)
    expect(r.missingShare.ours).toBeGreaterThan(0.015)
    expect(r.missingShare.ours).toBeLessThan(0.03)
    // 5 cm high, the cheap gauge crosses each threshold earlier than its 30 min lag alone would make it
    const hits = r.crossings.filter((c: any) => c.outcome === 'hit')
    expect(hits.length).toBeGreaterThan(0)
    for (const h of hits) expect(h.offsetMs).toBeLessThanOrEqual(LAG_MS)
    expect(JSON.parse(readFileSync(join(out, 'evaluate.json'), 'utf8')).lagMs).toBe(r.lagMs)
    const svg = readFileSync(join(out, 'evaluate.svg'), 'utf8')
    expect(svg).toContain('<svg')
    expect(svg).toContain('lag 30 min')
    expect(existsSync(join(out, 'evaluate.svg'))).toBe(true)
  })

  it('threshold crossings of a copy that is only late: every crossing a hit, late by the lag', async () => {
    const rows = readFileSync(REF, 'utf8').trim().split('\n').slice(1)
    const late = join(dir, 'late.csv')
    writeFileSync(late, ['time,level_m', ...rows.map(l => { const [t, v] = l.split(','); return `${new Date(Date.parse(t!) + LAG_MS).toISOString()},${v}` })].join('\n'))
    const { stdout } = await run(process.execPath, [CLI, 'evaluate', '--ours', late, '--reference', REF, '--threshold=-0.3', '--threshold=0.1'])
    const r = JSON.parse(stdout)
    expect(r.lagMs).toBe(LAG_MS)
    expect(r.crossings.length).toBeGreaterThan(1)
    for (const c of r.crossings) expect(c).toMatchObject({ outcome: 'hit', offsetMs: LAG_MS })
  })

  it('reads 水文水質データベース rows (YYYY/MM/DD,HH:MM,value with a 欠測 gap) as the reference', async () => {
    const mlit = join(dir, 'mlit.csv')
    const rows = readFileSync(REF, 'utf8').trim().split('\n').slice(1, 400).map(l => {
      const [t, v] = l.split(',')
      const jst = new Date(Date.parse(t!) + 9 * 3_600_000)
      const d = `${jst.getUTCFullYear()}/${String(jst.getUTCMonth() + 1).padStart(2, '0')}/${String(jst.getUTCDate()).padStart(2, '0')}`
      return `${d},${String(jst.getUTCHours()).padStart(2, '0')}:${String(jst.getUTCMinutes()).padStart(2, '0')},${v}`
    })
    rows[10] = rows[10]!.replace(/,[^,]*$/, ',-') // 欠測
    writeFileSync(mlit, ['額田,観測所', '年月日,時刻,水位', ...rows].join('\n'))
    const { stdout } = await run(process.execPath, [CLI, 'evaluate', '--ours', REF, '--reference', mlit])
    const r = JSON.parse(stdout)
    expect(r.lagMs).toBe(0)
    expect(r.biasM).toBeCloseTo(0, 6)
    expect(r.missingShare.reference).toBeGreaterThan(0)
  })
})
