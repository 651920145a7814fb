import type Database from 'better-sqlite3'

/**
 * Migrations of one part of the embedded file, counted apart from the main
 * list in store/sqlite.ts (user_version): a part added on its own branch
 * (the fleet registry) never competes with another branch for the next index.
 * Same rule as the main list: append, never edit; one IMMEDIATE transaction each.
 */
export function migratePart (db: Database.Database, part: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_parts (part TEXT PRIMARY KEY, version INTEGER NOT NULL)')
  const get = db.prepare<[string], { version: number }>('SELECT version FROM schema_parts WHERE part = ?')
  const set = db.prepare('INSERT INTO schema_parts (part, version) VALUES (?, ?) ON CONFLICT(part) DO UPDATE SET version = excluded.version')
  const step = db.transaction((): boolean => {
    const version = get.get(part)?.version ?? 0
    const sql = migrations[version]
    if (sql === undefined) return false
    db.exec(sql)
    set.run(part, version + 1)
    return true
  })
  while (step.immediate()) { /* next migration */ }
}
