import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import type { Station } from '../../core/types.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import { waitFor } from '../helpers/app.js'

const T = { observationStart: 0.5, standby: 1.0, caution: 1.5, evacuationJudgement: 2.0, danger: 2.5, flooding: 3.0 }
const station = (id: string): Station => ({ id, name: id, nameEn: id, river: 'テスト川', lat: 38, lon: 140, deviceId: `g-${id}`, datum: 0, sensorHeight: 5, thresholds: T })

/**
 * The station caches follow registry changes made by another process (the CLI, a separate
 * dashboard) through the registry_version counter its tables' triggers bump, while commits to
 * other tables of the same file (last seen, alerts, notifications) leave the counter alone.
 */
describe('store: registry changes from another process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-refresh-'))
  const file = join(dir, 'db')
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('a station state changed elsewhere reaches this store; an unrelated commit does not move the counter', async () => {
    const mine = createEmbeddedStore({ file, logger: silentLogger() })
    const other = createEmbeddedStore({ file, logger: silentLogger() })
    try {
      mine.fleet.seed({ stations: [station('s1'), station('s2')], cameras: [] })
      const raw = new Database(file)
      const version = (): number => (raw.prepare('SELECT v FROM registry_version').get() as { v: number }).v
      const before = version()
      raw.exec('CREATE TABLE IF NOT EXISTS unrelated (x INTEGER); INSERT INTO unrelated VALUES (1)')
      expect(version()).toBe(before)
      other.fleet.setState('gauge', 's2', 'maintenance', { by: 'test' })
      expect(version()).toBeGreaterThan(before)
      raw.close()
      await waitFor(() => mine.getStation('s2')?.state === 'maintenance' ? true : undefined, 'the other process\'s change seen')
      expect(mine.getStation('s1')?.state).toBe('active')
    } finally {
      await mine.close()
      await other.close()
    }
  })
})
