#!/usr/bin/env node
// Each part owns its tables (docs/architecture.md "Who owns which tables"): a table is created by its
// part's schema file and read or written in SQL only by that part's files. This finds, in every
// string and template literal of the non-test sources, the SQL that names a table (FROM, JOIN, INTO,
// UPDATE, TABLE, DELETE FROM) and reports each one outside the owning part. bench/ and test/ build
// and inspect databases on purpose and are not scanned.
//   node scripts/check-tables.mjs     exits 1 on any violation
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { walk } from './lib/walk.mjs'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const DIRS = ['core', 'codecs', 'store', 'vision', 'alerts', 'edge', 'broker', 'ingest', 'notify', 'dashboard', 'simulators', 'official', 'fleet', 'cli', 'scripts']

/**
 * part → its schema file (where its tables are created) and the files that may name them in SQL
 * (a path ending in / is a folder). The fleet registry is the store's: it keeps the station and
 * camera documents in the store's tables, and the embedded store builds it on its own handle.
 */
export const PARTS = {
  store: { schema: 'store/schema.ts', files: ['store/schema.ts', 'store/embedded.ts', 'store/document-cache.ts', 'store/fleet.ts', 'store/export/'] },
  fleet: { schema: 'store/fleet.ts', files: ['store/fleet.ts'] },
  outbox: { schema: 'store/outbox/schema.ts', files: ['store/outbox/'] },
  uplinks: { schema: 'store/uplinks-schema.ts', files: ['store/uplinks-schema.ts', 'store/uplink-dedupe.ts'] },
  official: { schema: 'store/official-schema.ts', files: ['store/official-schema.ts', 'store/official.ts'] },
  wildlife: { schema: 'store/wildlife-schema.ts', files: ['store/wildlife-schema.ts', 'store/wildlife.ts', 'store/wildlife-statements.ts'] },
  alerts: { schema: 'alerts/schema.ts', files: ['alerts/'] },
  notify: { schema: 'notify/schema.ts', files: ['notify/'] },
  accounts: { schema: 'dashboard/server/auth/schema.ts', files: ['dashboard/server/auth/'] },
  broker: { schema: 'broker/schema.ts', files: ['broker/schema.ts', 'broker/registry.ts'] }
}

/** reads across parts, each with its reason; never a write */
const READS = [
  // the frames not yet analysed are the store's images without a detection row: one indexed query
  { file: 'store/wildlife-statements.ts', table: 'camera_images' },
  // the dataset export (CSV/Parquet of any table, store/export/) streams a snapshot on its own read-only
  // connection, one row at a time: a part's API would load the rows into memory. Reads only; no part
  // below alerts could call the alerts API anyway.
  { file: 'store/export/datasets.ts', table: 'detections' },
  { file: 'store/export/datasets.ts', table: 'sightings' },
  { file: 'store/export/datasets.ts', table: 'alerts' }
]

/** the runner's own bookkeeping table */
const RUNNER = { table: 'schema_parts', files: ['store/parts.ts', 'store/db.ts'] }

const within = (file, list) => list.some(p => p.endsWith('/') ? file.startsWith(p) : file === p)

/** every string/template literal's text in a file */
function literals (text, file) {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out = []
  const visit = node => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text)
    else if (ts.isTemplateExpression(node)) out.push(node.getText(src))
    ts.forEachChild(node, visit)
  }
  visit(src)
  return out
}

const REF = /\b(CREATE TABLE(?: IF NOT EXISTS)?|CREATE (?:UNIQUE )?INDEX \w+ ON|ALTER TABLE|DROP TABLE|DELETE FROM|INSERT(?: OR \w+)? INTO|UPDATE|FROM|JOIN)\s+"?(\w+)"?/g
const WRITES = /^(CREATE|ALTER|DROP|DELETE|INSERT|UPDATE)/

export function analyse () {
  const owner = new Map()
  for (const [part, p] of Object.entries(PARTS)) {
    const text = readFileSync(join(root, p.schema), 'utf8')
    for (const m of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)) {
      // the v3 rebuild creates readings_v2 and renames it: the name is the store's while it exists
      owner.set(m[1], part)
    }
  }
  const violations = []
  let statements = 0
  for (const path of DIRS.flatMap(d => walk(join(root, d)))) {
    const file = relative(root, path)
    const text = readFileSync(path, 'utf8')
    // parse only files that can hold SQL at all
    if (!/\b(FROM|INTO|UPDATE|TABLE|JOIN)\b/.test(text)) continue
    for (const lit of literals(text, file)) {
      for (const m of lit.matchAll(REF)) {
        const [, verb, table] = m
        if (table === RUNNER.table) {
          statements++
          if (!within(file, RUNNER.files)) violations.push(`${file}: ${verb} ${table} (the migration runner's table)`)
          continue
        }
        const part = owner.get(table)
        if (part === undefined) continue
        statements++
        if (within(file, PARTS[part].files)) continue
        const write = WRITES.test(verb)
        if (!write && READS.some(r => r.file === file && r.table === table)) continue
        violations.push(`${file}: ${write ? 'writes' : 'reads'} ${table} (${verb}), a table of the ${part} part`)
      }
    }
  }
  return { tables: owner.size, statements, violations }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = analyse()
  for (const v of r.violations) console.log(v)
  console.log(`check-tables: ${r.tables} tables in ${Object.keys(PARTS).length} parts, ${r.statements} SQL references, ${r.violations.length} violations`)
  process.exit(r.violations.length > 0 ? 1 : 0)
}
