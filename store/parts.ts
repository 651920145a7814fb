import type Database from 'better-sqlite3'
import { MimamoriError } from '../core/errors.js'

/**
 * Each part of the system owns its tables and declares them here-shaped, in its
 * own folder: forward-only migrations numbered 1, 2, 3 … Rules:
 * - append, never edit or remove a released migration (a database out there ran it);
 * - `up` touches only the part's own tables;
 * - a migration runs in one IMMEDIATE transaction together with the version bump,
 *   and the version is read inside it, so processes opening the file at once never
 *   run one twice.
 */
export interface Migration {
  version: number
  /** SQL, or a function for what SQL alone cannot say */
  up: string | ((db: Database.Database) => void)
}

export interface PartSchema {
  /** the owner's name, the key in schema_parts */
  part: string
  migrations: readonly Migration[]
}

/**
 * A part's schema from its migrations in order: the first is version 1, the next 2 …
 * Forward-only: append a migration, never edit or remove one (a database out there ran it;
 * DEVELOPERS.md "Adding a migration"). A step is SQL, or a function for what SQL cannot say.
 */
export function definePart (part: string, steps: ReadonlyArray<Migration['up']>): PartSchema {
  return { part, migrations: steps.map((up, i) => ({ version: i + 1, up })) }
}

/**
 * Releases before per-part versions kept one list for the whole file in
 * `PRAGMA user_version`: step i of that list is this part's version here. A file
 * from such a release is adopted once — each part gets the version its steps
 * reached, user_version goes to 0 — and carries on from there with the parts'
 * own lists. Frozen history: never change it.
 */
const LEGACY_STEPS: ReadonlyArray<readonly [part: string, version: number]> = [
  ['store', 1], // stations, cameras, readings, camera_images
  ['outbox', 1],
  ['broker', 1], // mqtt_accounts
  ['store', 2], // readings.qc_flag, qc_tests
  ['alerts', 1],
  ['wildlife', 1],
  ['store', 3], // readings.level nullable (table rebuilt)
  ['notify', 1],
  ['accounts', 1], // users, sessions, api_tokens, audit_log
  ['uplinks', 1], // lorawan_uplinks
  ['official', 1],
  ['official', 2] // official_suggestions
]

const BOOKKEEPING = 'CREATE TABLE IF NOT EXISTS schema_parts (part TEXT PRIMARY KEY, version INTEGER NOT NULL)'

/**
 * Brings each part's tables to its newest version, parts in the order given.
 * Idempotent: a second run finds every version current and does nothing. A part
 * whose recorded version is above its newest migration refuses
 * (MIMAMORI_ERR_SCHEMA_NEWER): a newer release wrote the file and this code must
 * not run on it.
 */
export function migrateParts (db: Database.Database, parts: readonly PartSchema[]): void {
  for (const p of parts) checkDeclaration(p)
  db.exec(BOOKKEEPING)
  adoptLegacy(db)
  const get = db.prepare<[string], { version: number }>('SELECT version FROM schema_parts WHERE part = ?')
  const set = db.prepare('INSERT INTO schema_parts (part, version) VALUES (?, ?) ON CONFLICT(part) DO UPDATE SET version = excluded.version')
  for (const p of parts) {
    const step = db.transaction((): boolean => {
      const version = get.get(p.part)?.version ?? 0
      if (version > p.migrations.length) {
        throw new MimamoriError('MIMAMORI_ERR_SCHEMA_NEWER', `the ${p.part} tables are at version ${version}, this code knows up to ${p.migrations.length}: upgrade mimamori`, { details: { part: p.part, version, known: p.migrations.length } })
      }
      const m = p.migrations[version]
      if (m === undefined) return false
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      set.run(p.part, m.version)
      return true
    })
    while (step.immediate()) { /* next migration */ }
  }
}

/** the recorded version of every part (tests, `mimamori doctor`-style reports) */
export function partVersions (db: Database.Database): Map<string, number> {
  db.exec(BOOKKEEPING)
  return new Map(db.prepare<[], { part: string, version: number }>('SELECT part, version FROM schema_parts ORDER BY part').all().map(r => [r.part, r.version]))
}

function checkDeclaration (p: PartSchema): void {
  p.migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MimamoriError('MIMAMORI_ERR_SCHEMA', `${p.part}: migration ${i + 1} says version ${m.version}; versions run 1, 2, 3 … without gaps`)
  })
}

function adoptLegacy (db: Database.Database): void {
  db.transaction(() => {
    const legacy = db.pragma('user_version', { simple: true }) as number
    if (legacy === 0) return
    if (legacy > LEGACY_STEPS.length) {
      throw new MimamoriError('MIMAMORI_ERR_SCHEMA_NEWER', `the database's schema version ${legacy} is newer than this code knows (${LEGACY_STEPS.length}): upgrade mimamori`, { details: { version: legacy, known: LEGACY_STEPS.length } })
    }
    const set = db.prepare('INSERT INTO schema_parts (part, version) VALUES (?, ?) ON CONFLICT(part) DO UPDATE SET version = MAX(version, excluded.version)')
    for (const [part, version] of LEGACY_STEPS.slice(0, legacy)) set.run(part, version)
    db.pragma('user_version = 0')
  }).immediate()
}
