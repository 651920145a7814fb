import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MimamoriError } from '../../core/errors.js'
import { openConnections, openDatabase, openParts } from '../../store/db.js'
import { migrateParts, partVersions, type PartSchema } from '../../store/parts.js'

const tables = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map(r => r.name)

describe('migration runner (store/parts.ts)', () => {
  let db: Database.Database
  beforeEach(() => { db = new Database(':memory:') })
  afterEach(() => { db.close() })

  const part = (order: string[]): PartSchema => ({
    part: 'demo',
    migrations: [
      { version: 1, up: () => { order.push('v1'); db.exec('CREATE TABLE demo_a (x INTEGER)') } },
      { version: 2, up: () => { order.push('v2'); db.exec('ALTER TABLE demo_a ADD COLUMN y TEXT') } },
      { version: 3, up: 'CREATE TABLE demo_b (z TEXT)' }
    ]
  })

  it('applies a part\'s migrations in version order, each once, and a second run changes nothing', () => {
    const order: string[] = []
    migrateParts(db, [part(order)])
    expect(order).toEqual(['v1', 'v2'])
    expect(tables(db)).toEqual(['demo_a', 'demo_b', 'schema_parts'])
    expect(partVersions(db).get('demo')).toBe(3)
    const before = db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all()
    migrateParts(db, [part(order)])
    expect(order).toEqual(['v1', 'v2'])
    expect(db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all()).toEqual(before)
  })

  it('carries on from the recorded version when the code gained a migration (forward only)', () => {
    const order: string[] = []
    const full = part(order)
    migrateParts(db, [{ part: 'demo', migrations: full.migrations.slice(0, 1) }])
    expect(partVersions(db).get('demo')).toBe(1)
    migrateParts(db, [full])
    expect(order).toEqual(['v1', 'v2'])
    expect((db.prepare('SELECT name FROM pragma_table_info(\'demo_a\')').all() as Array<{ name: string }>).map(r => r.name)).toEqual(['x', 'y'])
  })

  it('refuses a database a newer release wrote (MIMAMORI_ERR_SCHEMA_NEWER) and leaves it as it is', () => {
    migrateParts(db, [part([])])
    const older: PartSchema = { part: 'demo', migrations: part([]).migrations.slice(0, 2) }
    const err = (() => { try { migrateParts(db, [older]); return undefined } catch (e) { return e } })()
    expect(err).toBeInstanceOf(MimamoriError)
    expect((err as MimamoriError).code).toBe('MIMAMORI_ERR_SCHEMA_NEWER')
    expect(partVersions(db).get('demo')).toBe(3)
  })

  it('refuses a legacy user_version beyond the releases it knows', () => {
    db.pragma('user_version = 99')
    expect(() => { migrateParts(db, [part([])]) }).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_SCHEMA_NEWER' }))
  })

  it('refuses a declaration with a gap or a wrong number (MIMAMORI_ERR_SCHEMA)', () => {
    expect(() => { migrateParts(db, [{ part: 'bad', migrations: [{ version: 1, up: 'SELECT 1' }, { version: 3, up: 'SELECT 1' }] }]) })
      .toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_SCHEMA' }))
    expect(tables(db)).not.toContain('bad')
  })

  it('rolls a failing migration back with its version (the next run tries it again)', () => {
    const failing: PartSchema = { part: 'demo', migrations: [{ version: 1, up: 'CREATE TABLE demo_a (x INTEGER)' }, { version: 2, up: 'CREATE TABLE demo_c (x INTEGER); INSERT INTO nowhere VALUES (1)' }] }
    expect(() => { migrateParts(db, [failing]) }).toThrow()
    expect(partVersions(db).get('demo')).toBe(1)
    expect(tables(db)).not.toContain('demo_c')
  })

  it('keeps parts apart: each has its own version', () => {
    migrateParts(db, [part([]), { part: 'other', migrations: [{ version: 1, up: 'CREATE TABLE other_a (x INTEGER)' }] }])
    expect(Object.fromEntries(partVersions(db))).toEqual({ demo: 3, other: 1 })
  })
})

describe('shared handle (store/db.ts)', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'mimamori-db-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('gives every opener of one file in a thread the same connection, closed with the last release', () => {
    const before = openConnections()
    const a = openDatabase(join(dir, 'x.db'))
    const b = openDatabase(join(dir, '.', 'x.db'), { synchronous: 'FULL' })
    expect(b.db).toBe(a.db)
    expect(openConnections()).toBe(before + 1)
    expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal')
    // the strongest durability any holder asked for applies to the shared connection (2 = FULL)
    expect(a.db.pragma('synchronous', { simple: true })).toBe(2)
    a.release()
    a.release() // idempotent: b still holds it
    expect(b.db.open).toBe(true)
    b.release()
    expect(b.db.open).toBe(false)
    expect(openConnections()).toBe(before)
    const c = openDatabase(join(dir, 'x.db'))
    expect(c.db).not.toBe(a.db)
    c.release()
  })

  it('never shares :memory: (each open is a database of its own)', () => {
    const a = openDatabase(':memory:')
    const b = openDatabase(':memory:')
    expect(b.db).not.toBe(a.db)
    a.release()
    b.release()
  })

  it('openParts releases its reference when a part refuses', () => {
    const file = join(dir, 'y.db')
    const newer = openParts(file, [{ part: 'p', migrations: [{ version: 1, up: 'CREATE TABLE p_a (x)' }, { version: 2, up: 'CREATE TABLE p_b (x)' }] }])
    newer.release()
    const before = openConnections()
    expect(() => openParts(file, [{ part: 'p', migrations: [{ version: 1, up: 'CREATE TABLE p_a (x)' }] }])).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_SCHEMA_NEWER' }))
    expect(openConnections()).toBe(before)
  })
})
