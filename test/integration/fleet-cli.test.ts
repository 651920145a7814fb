import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { silentLogger } from '../../core/logger.js'
import type { Station } from '../../core/types.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import type { FleetFile } from '../../store/fleet-file.js'
import { runCli } from '../helpers/app.js'

const T = { observationStart: 0.5, standby: 1.0, caution: 1.5, evacuationJudgement: 2.0, danger: 2.5, flooding: 3.0 }
const st = (id: string, deviceId: string): Station => ({ id, name: `${id} 橋`, nameEn: `${id} bridge`, river: '試験川', lat: 38.7, lon: 139.8, deviceId, datum: 5, sensorHeight: 4, thresholds: T })

/** `mimamori fleet export|import` through the built CLI against a real database file */
describe('mimamori fleet export | import', () => {
  let dir: string
  let cfg: string
  let dbFile: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-fleet-cli-'))
    cfg = join(dir, 'config.json')
    writeFileSync(cfg, JSON.stringify({ dataDir: dir, log: { level: 'silent' } }))
    dbFile = join(dir, 'mimamori.db')
    const store = createEmbeddedStore({ file: dbFile, logger: silentLogger() })
    store.fleet.seed({ stations: [st('a', 'gauge-a'), st('b', 'gauge-b')], cameras: [{ id: 'cam-1', name: 'カメラ1', nameEn: 'Camera 1', lat: 38.6, lon: 139.7 }] })
    store.fleet.reviseThresholds('a', { thresholds: { ...T, danger: 2.4 }, source: '河川課 告示', by: 'sato' })
    await store.close()
  })
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  const exportYaml = async (): Promise<FleetFile> => {
    const r = await runCli(['fleet', 'export', '--config', cfg])
    expect(r.code).toBe(0)
    return parse(r.out) as FleetFile
  }

  it('exports YAML and JSON with state, current thresholds, their source and the history', async () => {
    const doc = await exportYaml()
    expect(doc.version).toBe(1)
    expect(doc.stations.map(s => s.id)).toEqual(['a', 'b'])
    const a = doc.stations[0]!
    expect(a).toMatchObject({ state: 'active', thresholds: { danger: 2.4 }, thresholdSource: '河川課 告示' })
    expect(a.history?.map(r => [r.revision, r.source])).toEqual([[1, 'configuration file'], [2, '河川課 告示']])
    const json = await runCli(['fleet', 'export', '--format', 'json', '--config', cfg])
    expect(JSON.parse(json.out)).toEqual(doc)
  })

  it('re-importing an export changes nothing (round trip)', async () => {
    const file = join(dir, 'same.yaml')
    writeFileSync(file, stringify(await exportYaml()))
    const r = await runCli(['fleet', 'import', file, '--config', cfg])
    expect(r).toMatchObject({ code: 0 })
    expect(r.out).toContain('no changes')
  })

  it('--dry-run prints the diff and changes nothing; import applies it as registry changes', async () => {
    const before = await exportYaml()
    const doc = structuredClone(before)
    doc.stations[0]!.name = 'a 新橋'
    doc.stations[0]!.thresholds.danger = 2.3
    doc.stations[0]!.thresholdSource = '2026-12 見直し'
    doc.stations[1]!.state = 'maintenance'
    doc.stations.push({ ...st('c', 'gauge-c'), thresholdSource: '新設時の設定' } as FleetFile['stations'][number])
    doc.cameras.push({ id: 'trail-1', name: 'トレイル1', nameEn: 'Trail 1', lat: 38.65, lon: 139.75, trail: true } as FleetFile['cameras'][number])
    const file = join(dir, 'changed.yaml')
    writeFileSync(file, stringify(doc))

    const dry = await runCli(['fleet', 'import', file, '--dry-run', '--config', cfg])
    expect(dry.code).toBe(0)
    expect(dry.out.split('\n').filter(l => /^[+~]/.test(l))).toEqual([
      '~ gauge a: name "a 橋" → "a 新橋"',
      '~ gauge a thresholds (new revision, source "2026-12 見直し"): danger 2.4 → 2.3',
      '~ gauge b: state active → maintenance',
      '+ gauge c (c 橋, device gauge-c)',
      '+ camera trail-1 (トレイル1)'
    ])
    expect(dry.out).toContain('nothing applied')
    expect(await exportYaml()).toEqual(before)

    const real = await runCli(['fleet', 'import', file, '--by', 'import-test', '--config', cfg])
    expect(real.code).toBe(0)
    const after = await exportYaml()
    expect(after.stations.map(s => [s.id, s.name, s.state, s.thresholds.danger])).toEqual([['a', 'a 新橋', 'active', 2.3], ['b', 'b 橋', 'maintenance', 2.5], ['c', 'c 橋', 'active', 2.5]])
    expect(after.stations[0]!.history?.map(r => [r.revision, r.by, r.thresholds.danger])).toEqual([[1, 'config', 2.5], [2, 'sato', 2.4], [3, 'import-test', 2.3]])
    expect(after.cameras.map(c => c.id)).toEqual(['cam-1', 'trail-1'])
    // and now the same file is a no-op
    expect((await runCli(['fleet', 'import', file, '--dry-run', '--config', cfg])).out).toContain('no changes')
  })

  it('refuses an invalid file, naming the field in Japanese and English, and changes nothing', async () => {
    const before = await exportYaml()
    const bad = structuredClone(before)
    bad.stations[0]!.thresholds.danger = 1.0
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify(bad))
    const r = await runCli(['fleet', 'import', file, '--config', cfg])
    expect(r.code).not.toBe(0)
    expect(r.err).toContain('MIMAMORI_ERR_VALIDATION')
    expect(r.err).toMatch(/氾濫危険水位.*flood danger level/)
    writeFileSync(file, JSON.stringify({ version: 1, stations: [{ id: 'x' }], bogus: true }))
    const schema = await runCli(['fleet', 'import', file, '--config', cfg])
    expect(schema.code).not.toBe(0)
    expect(schema.err).toContain('fleet file schema')
    expect(await exportYaml()).toEqual(before)
    expect(readFileSync(file, 'utf8')).toContain('bogus')
  })
})
