import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError } from '../../core/errors.js'
import { silentLogger } from '../../core/logger.js'
import { contains } from '../../core/geofence.js'
import { openWildlifeRepo } from '../../store/wildlife.js'
import { seedHunters } from '../../ingest/wildlife/seed.js'
import { demoConfigFile, startTestApp, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'

const demo = loadConfig({ file: demoConfigFile() })

describe('hunters from the configuration', () => {
  const dirs: string[] = []
  let app: TestApp | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('the demo gives each demo camera exactly one hunter whose area holds it', () => {
    expect(demo.hunters.length).toBeGreaterThanOrEqual(2)
    for (const cam of demo.cameras) {
      const holders = demo.hunters.filter(h => h.areas.some(a => contains(a.shape, cam.lat, cam.lon)))
      expect({ camera: cam.id, hunters: holders.length }).toEqual({ camera: cam.id, hunters: 1 })
    }
  })

  it('registers missing hunters with their areas once; a restart does not undo changes made through the API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mimamori-seed-'))
    dirs.push(dir)
    const file = join(dir, 'mimamori.db')
    const repo = openWildlifeRepo(file)
    try {
      expect(seedHunters(repo, demo.hunters, silentLogger())).toEqual(demo.hunters.map(h => h.id))
      const first = demo.hunters[0]!
      expect(repo.getHunter(first.id)?.name).toBe(first.name)
      expect(repo.areas(first.id).map(a => a.shape)).toEqual(first.areas.map(a => a.shape))
      // the hunter removes the area on the phone; the next start must not bring it back
      const [area] = repo.areas(first.id)
      expect(repo.deleteArea(first.id, area!.id)).toBe(true)
      expect(seedHunters(repo, demo.hunters, silentLogger())).toEqual([])
      expect(repo.areas(first.id)).toEqual([])
      expect(repo.listHunters()).toHaveLength(demo.hunters.length)
    } finally {
      repo.close()
    }
  })

  it('are in the API after start, and each demo camera routes to its own hunter', async () => {
    app = await startTestApp({ hunters: demo.hunters as Config['hunters'] })
    const res = await apiFetch(`${app.info.dashboardUrl}/api/hunters`)
    const body = await res.json() as Array<{ id: string, areas: Array<{ shape: unknown }> }>
    expect(body.map(h => h.id).sort()).toEqual(demo.hunters.map(h => h.id).sort())
    const wildlife = app.app.ingest!.wildlife
    const at = (id: string): string[] => { const c = demo.cameras.find(x => x.id === id)!; return wildlife.huntersAt(c.lat, c.lon) }
    // config/demo.json: 田中 has the 3 km circle around the Yutagawa orchard, 佐藤 the Haguro paddy polygon
    expect(at('cam-yutagawa-01')).toEqual(['demo-tanaka'])
    expect(at('cam-haguro-01')).toEqual(['demo-sato'])
  })

  it('refuses a hunter area that is not a shape, naming the key', () => {
    let err: unknown
    try {
      loadConfig({ overrides: { hunters: [{ id: 'h1', name: 'x', areas: [{ shape: { type: 'polygon', points: [[38, 139], [38.1, 139]] } }] }] } as never })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(MimamoriError)
    expect((err as MimamoriError).code).toBe('MIMAMORI_ERR_CONFIG')
    expect((err as MimamoriError).message).toContain('hunters.0.areas.0.shape')
  })
})
