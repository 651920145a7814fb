import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createAlerts } from '../../alerts/index.js'
import { ALERTS_PART } from '../../alerts/schema.js'
import { BROKER_PART } from '../../broker/schema.js'
import { openAccounts } from '../../dashboard/server/auth/accounts.js'
import { ACCOUNTS_PART } from '../../dashboard/server/auth/schema.js'
import { openAlertOutbox } from '../../notify/outbox.js'
import { NOTIFY_PART } from '../../notify/schema.js'
import { openNotifyStore } from '../../notify/store.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import { FLEET_PART } from '../../store/fleet.js'
import { OFFICIAL_PART } from '../../store/official-schema.js'
import { OUTBOX_PART } from '../../store/outbox/schema.js'
import { migrateParts, partVersions } from '../../store/parts.js'
import { STORE_PART } from '../../store/schema.js'
import { UPLINKS_PART } from '../../store/uplinks-schema.js'
import { WILDLIFE_PART } from '../../store/wildlife-schema.js'
import { openWildlifeRepo } from '../../store/wildlife.js'
// @ts-expect-error plain ESM script without types
import { PARTS } from '../../scripts/check-tables.mjs'
import { silentLogger } from '../../core/logger.js'

/**
 * A database written by every earlier release that changed the schema
 * (test/fixtures/schemas/<commit>.sql, made by scripts/schema-fixtures.mjs from
 * each commit's own migration list) is opened with today's code: every part's
 * migrations run, the rows survive, and the schema is exactly the one a fresh
 * database gets.
 */
const ALL = [STORE_PART, FLEET_PART, OUTBOX_PART, UPLINKS_PART, OFFICIAL_PART, WILDLIFE_PART, ALERTS_PART, NOTIFY_PART, ACCOUNTS_PART, BROKER_PART]
const FIXTURES = join(import.meta.dirname, '../fixtures/schemas')
const dir = mkdtempSync(join(tmpdir(), 'mimamori-schema-upgrade-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

interface MasterRow { type: string, name: string, tbl_name: string, sql: string | null }
/** sqlite_master without page numbers, whitespace collapsed, sorted */
function schemaOf (db: Database.Database): MasterRow[] {
  return (db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name").all() as MasterRow[])
    .map(r => ({ ...r, sql: r.sql?.replace(/\s+/g, ' ').trim() ?? null }))
}
function counts (db: Database.Database): Record<string, number> {
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_parts', 'sqlite_sequence') ORDER BY name").all() as Array<{ name: string }>).map(r => r.name)
  return Object.fromEntries(names.map(n => [n, (db.prepare(`SELECT COUNT(*) AS n FROM "${n}"`).get() as { n: number }).n]))
}
function load (name: string, as: string): string {
  const file = join(dir, `${name}-${as}.db`)
  const db = new Database(file)
  db.exec(readFileSync(join(FIXTURES, `${name}.sql`), 'utf8'))
  db.close()
  return file
}

const fresh = new Database(':memory:')
migrateParts(fresh, ALL)
const freshSchema = schemaOf(fresh)
const freshVersions = Object.fromEntries(partVersions(fresh))
/** rows a fresh database holds (a migration may seed one, e.g. the fleet's registry_version counter) */
const freshCounts = counts(fresh)
fresh.close()

describe('schema upgrade from every earlier release', () => {
  it('declares every part the table check knows (a new part is added to both)', () => {
    expect(ALL.map(p => p.part).sort()).toEqual(Object.keys(PARTS as Record<string, unknown>).sort())
  })

  const fixtures = readdirSync(FIXTURES).filter(f => f.endsWith('.sql')).map(f => f.slice(0, -4)).sort()
  it('has the fixtures of five releases', () => {
    expect(fixtures).toEqual(['274b6d5', '4733891', 'aeff20d', 'c810336', 'e6885a1'])
  })

  for (const name of fixtures) {
    it(`${name}: migrates to today's schema, keeps every row, and a second run is a no-op`, () => {
      const file = load(name, 'runner')
      const db = new Database(file)
      const before = counts(db)
      expect(db.pragma('user_version', { simple: true })).toBeGreaterThan(0)
      migrateParts(db, ALL)
      expect(schemaOf(db)).toEqual(freshSchema)
      expect(Object.fromEntries(partVersions(db))).toEqual(freshVersions)
      expect(db.pragma('user_version', { simple: true })).toBe(0)
      const after = counts(db)
      // every table the release had keeps its rows; tables it did not have hold what a fresh database holds
      for (const [table, n] of Object.entries(after)) expect([table, n]).toEqual([table, before[table] ?? freshCounts[table] ?? 0])
      // the rebuilt readings table kept each value, the QC columns too
      expect(db.prepare('SELECT station_id, time, level, qc_flag FROM readings ORDER BY time').all()).toEqual([
        { station_id: 'st-1', time: 1_764_000_000_000, level: 1.25, qc_flag: 1 },
        { station_id: 'st-1', time: 1_764_000_600_000, level: 1.31, qc_flag: 3 }
      ])
      const again = schemaOf(db)
      migrateParts(db, ALL)
      expect(schemaOf(db)).toEqual(again)
      db.close()
    })

    it(`${name}: today's parts read the old rows through their own APIs`, async () => {
      const file = load(name, 'parts')
      const logger = silentLogger()
      const store = createEmbeddedStore({ file, logger })
      const alerts = createAlerts({ file, outbox: openAlertOutbox(file), logger })
      const wildlife = openWildlifeRepo(file)
      const nstore = openNotifyStore(file)
      const accounts = openAccounts(file)
      try {
        expect(store.getStation('st-1')?.river).toBe('青龍寺川')
        const rs = await store.readings('st-1', { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10, order: 'asc' })
        expect(rs.map(r => r.level)).toEqual([1.25, 1.31])
        expect(alerts.get('al-1')?.acknowledgedBy).toBe('bosai')
        expect(alerts.history('al-1').map(t => t.to)).toEqual(['firing', 'acknowledged'])
        expect(wildlife.listHunters().map(h => h.name)).toEqual(['田中'])
        expect(wildlife.areas('hu-1')).toHaveLength(1)
        if (name !== '274b6d5' && name !== 'e6885a1') {
          expect(nstore.subscriptions().map(s => s.address)).toEqual(['bosai@example.jp'])
          expect(accounts.byName('bosai')?.role).toBe('staff')
        }
        // the old alert goes on: a transition today is handed to notify in its transaction
        const resolved = alerts.resolve('al-1', 'bosai', { note: '解消' })
        expect(resolved.state).toBe('resolved')
        expect(nstore.unfanned(10).map(e => [e.refId, e.kind])).toContainEqual(['al-1', 'resolved'])
      } finally {
        accounts.close()
        nstore.close()
        wildlife.close()
        await alerts.close()
        await store.close()
      }
    })
  }
})
