#!/usr/bin/env node
// Fixtures of the database schemas earlier releases created (test/fixtures/schemas/*.sql), for
// test/integration/schema-upgrade.test.ts. For each commit below, the migration list of that commit's
// own source (store/sqlite.ts, earlier ingest/store/{sqlite,embedded}.ts, and store/fleet.ts's part
// migrations where it exists) is read with `git show` and run the way that commit's migrate() ran it
// (one step per transaction, PRAGMA user_version = steps applied; fleet in schema_parts), then a few
// representative rows go into every table that exists, and the file is dumped with the sqlite3 shell.
// Run it when a release changes the schema, adding the release's commit here:
//   node scripts/schema-fixtures.mjs            (writes test/fixtures/schemas/, needs git and sqlite3)
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(root, 'test/fixtures/schemas')

/** releases where the schema changed: first rounds, gaps, notify + accounts, fleet, uplinks + official */
const RELEASES = [
  { commit: '274b6d5', what: 'first rounds: store, outbox, broker, QC columns, alerts, wildlife' },
  { commit: 'e6885a1', what: 'readings.level nullable (gaps)' },
  { commit: '4733891', what: 'notify and dashboard accounts' },
  { commit: 'c810336', what: 'fleet registry (its own part, schema_parts)' },
  { commit: 'aeff20d', what: 'official information and 判断補助 suggestions' }
]

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] })

/** the `const MIGRATIONS … = [ `…`, … ]` array of a source file: its template literals, in order */
function migrationsOf (source) {
  const start = source.search(/const MIGRATIONS[^=]*= \[/)
  if (start < 0) return []
  const end = source.indexOf('\n]', start)
  const body = source.slice(start, end)
  // the SQL has no ${} and no backticks inside
  return [...body.matchAll(/`([^`]*)`/g)].map(m => m[1])
}

function mainList (commit) {
  for (const path of ['store/sqlite.ts', 'ingest/store/sqlite.ts', 'ingest/store/embedded.ts']) {
    let text
    try { text = git('show', `${commit}:${path}`) } catch { continue }
    const list = migrationsOf(text)
    if (list.length > 0) return list
  }
  throw new Error(`${commit}: no migration list found`)
}

function fleetList (commit) {
  try { return migrationsOf(git('show', `${commit}:store/fleet.ts`)) } catch { return [] }
}

const T0 = 1_764_000_000_000
/** one representative row per table; only the columns a release's table has are written */
const ROWS = {
  stations: [{ id: 'st-1', device_id: 'gauge-1', doc: JSON.stringify({ id: 'st-1', deviceId: 'gauge-1', name: '新形橋', river: '青龍寺川', lat: 38.7, lon: 139.8 }), updated_at: T0 }],
  cameras: [{ id: 'cam-1', doc: JSON.stringify({ id: 'cam-1', name: '熊出没', lat: 38.71, lon: 139.81 }), updated_at: T0 }],
  readings: [
    { station_id: 'st-1', time: T0, device_id: 'gauge-1', received_at: T0 + 500, level: 1.25, battery_v: 3.6, temperature_c: 12.5, spread_mm: 4, valid_pings: 19, total_pings: 20, device_flags: 0, seq: 7, qc_flag: 1, qc_tests: '{}' },
    { station_id: 'st-1', time: T0 + 600_000, device_id: 'gauge-1', received_at: T0 + 600_500, level: 1.31, battery_v: null, temperature_c: null, spread_mm: null, valid_pings: 20, total_pings: 20, device_flags: 0, seq: 8, qc_flag: 3, qc_tests: '{"spike":3}' }
  ],
  camera_images: [{ camera_id: 'cam-1', time: T0, frame_index: 0, burst_id: 'b-1', received_at: T0 + 900, bytes: 34567, width: 640, height: 480, battery_v: 3.9 }],
  outbox: [{ station_id: 'st-1', time: T0, doc: JSON.stringify({ stationId: 'st-1', time: T0, level: 1.25 }), enqueued_at: T0 + 10, state: 1, attempts: 1, delivered_at: T0 + 20, error: null }],
  mqtt_accounts: [{ id: 'gauge-1', role: 'device', kind: 'gauge', station_id: 'st-1', secret_hash: 'scrypt$16384$8$1$c2FsdA$aGFzaA', created_at: T0, rotated_at: null, revoked_at: null, last_seen: T0 + 1000 }],
  alerts: [{ id: 'al-1', key: 'river/st-1/level', kind: 'river', subject_id: 'st-1', rule: 'level', severity: 'severe', state: 'acknowledged', drill: 0, title: '氾濫注意水位', message: '', details: '{"level":3}', observed_at: T0, last_seen_at: T0 + 600_000, occurrences: 2, created_at: T0, updated_at: T0 + 700_000, fired_at: T0, acknowledged_at: T0 + 700_000, acknowledged_by: 'bosai', resolved_at: null, resolved_by: null, resolution: null }],
  alert_transitions: [
    { alert_id: 'al-1', at: T0, from_state: null, to_state: 'firing', by: 'system', note: null },
    { alert_id: 'al-1', at: T0 + 700_000, from_state: 'firing', to_state: 'acknowledged', by: 'bosai', note: '確認' }
  ],
  detections: [{ camera_id: 'cam-1', time: T0, frame_index: 0, burst_id: 'b-1', positive: 1, score: 0.91, label: 'bear', via: 'onnx', boxes: '[]', thumbnail: 'thumbs/cam-1/1.jpg', error_code: null, analysed_at: T0 + 2000 }],
  sightings: [{ id: 'si-1', camera_id: 'cam-1', burst_id: 'b-1', time: T0, doc: '{"id":"si-1","label":"bear"}', alert_id: null, suppressed: 0 }],
  hunters: [{ id: 'hu-1', name: '田中', contact: 'tanaka@example.jp', created_at: T0 }],
  hunter_areas: [{ id: 'ar-1', hunter_id: 'hu-1', name: '北', shape: '{"type":"circle","lat":38.7,"lon":139.8,"radiusM":500}', created_at: T0 }],
  sighting_feedback: [{ sighting_id: 'si-1', hunter_id: 'hu-1', verdict: 'confirm', note: '', at: T0 + 5000 }],
  notify_events: [{ source: 'alert', ref_id: 'al-1', kind: 'firing', doc: '{"alert":{"id":"al-1"},"from":null,"by":"system"}', created_at: T0, fanned_out_at: T0 + 100 }],
  notify_deliveries: [{ event_id: 1, channel: 'email', recipient: 'sub-1', address: 'bosai@example.jp', idem_key: '1:sub-1:email', state: 'sent', attempts: 1, next_at: T0, last_error: null, sent_at: T0 + 200, created_at: T0 + 100 }],
  notify_subscriptions: [{ id: 'sub-1', user_id: 'u-1', role: 'staff', channel: 'email', address: 'bosai@example.jp', doc: '{"kinds":[],"stations":[]}', created_at: T0, updated_at: T0 }],
  notify_advisories: [{ id: 'ad-1', alert_id: 'al-1', level: 3, area: '三条市', status: 'issued', version: 1, doc: '{"id":"ad-1"}', created_at: T0, updated_at: T0 }],
  notify_escalations: [{ alert_id: 'al-1', step: 1, last_at: T0 + 900_000 }],
  notify_cap: [{ identifier: 'urn:cap:1', advisory_id: 'ad-1', sent: T0, xml: '<alert/>', drill: 0 }],
  users: [{ id: 'u-1', username: 'bosai', role: 'staff', password_hash: 'scrypt$x', hunter_id: null, disabled: 0, created_at: T0, updated_at: T0 }],
  sessions: [{ id: 'se-1', user_id: 'u-1', doc: '{}', created_at: T0, seen_at: T0 }],
  api_tokens: [{ id: 'tk-1', user_id: 'u-1', name: 'ci', secret_sha256: 'ab'.repeat(32), scope: 'read', created_at: T0, expires_at: T0 + 86_400_000, last_used_at: null, revoked: 0 }],
  audit_log: [{ at: T0, actor: 'bosai', role: 'staff', via: 'session', ip: '127.0.0.1', action: 'alert.acknowledge', subject: 'al-1', detail: '{}' }],
  lorawan_uplinks: [{ dev_eui: '0004a30b001c2d3e', f_cnt: 42, digest: 'deadbeef', at: T0, via: 'chirpstack' }],
  fleet_devices: [{ kind: 'gauge', id: 'st-1', state: 'active', state_since: T0, state_by: 'config', state_reason: null, profile: 'mimamori-gauge-v1', origin: 'config', seed_hash: 'ff', created_at: T0 }],
  fleet_thresholds: [{ station_id: 'st-1', revision: 1, valid_from: 0, doc: '{"standby":2,"caution":2.8,"evacuationJudgement":3.6,"danger":3.8,"flooding":3.9}', source: 'configuration file', by: 'config', reason: null, recorded_at: T0 }],
  fleet_intake: [{ camera_id: 'cam-1', secret_hash: 'sha256$x', created_at: T0 }],
  official_telegrams: [{ id: 'tg-1', received_at: T0, source: 'file:VXKO.xml', product: 'VXKO50', info_kind: '指定河川洪水予報', info_type: '発表', status: '通常', office: '新潟地方気象台', event_id: 'ev-1', serial: '1', report_time: T0, head_title: '氾濫注意情報', bytes: 1234, xml: '<Report/>', outcome: 'applied', error_code: null }],
  official_state: [{ product: 'VXKO50', area_code: '0620300', doc: '{"level":2}', report_time: T0 }],
  official_feeds: [{ url: 'https://example.jp/feed.xml', etag: '"1"', last_modified: null, checked_at: T0, http_status: 200 }],
  official_criteria: [{ area_code: '15204', doc: '{}', updated_at: T0, updated_by: 'admin' }],
  official_suggestions: [{ area_code: '15204', doc: '{"level":3}', updated_at: T0 }]
}

function build (release, file) {
  const db = new Database(file)
  const list = mainList(release.commit)
  for (const [i, sql] of list.entries()) {
    db.transaction(() => { db.exec(sql); db.pragma(`user_version = ${i + 1}`) }).immediate()
  }
  const fleet = fleetList(release.commit)
  if (fleet.length > 0) {
    db.exec('CREATE TABLE IF NOT EXISTS schema_parts (part TEXT PRIMARY KEY, version INTEGER NOT NULL)')
    for (const [i, sql] of fleet.entries()) db.transaction(() => { db.exec(sql); db.prepare("INSERT INTO schema_parts (part, version) VALUES ('fleet', ?) ON CONFLICT(part) DO UPDATE SET version = excluded.version").run(i + 1) }).immediate()
  }
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_parts'").all()) {
    const rows = ROWS[name]
    if (rows === undefined) throw new Error(`${release.commit}: no representative row for table ${name}`)
    const cols = new Set(db.prepare(`SELECT name FROM pragma_table_info('${name}')`).all().map(c => c.name))
    for (const row of rows) {
      const keys = Object.keys(row).filter(k => cols.has(k))
      db.prepare(`INSERT INTO ${name} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...keys.map(k => row[k]))
    }
  }
  const steps = list.length
  db.close()
  return { steps, fleet: fleet.length }
}

mkdirSync(OUT, { recursive: true })
const tmp = mkdtempSync(join(tmpdir(), 'mimamori-schema-fixtures-'))
try {
  for (const release of RELEASES) {
    const file = join(tmp, `${release.commit}.db`)
    const { steps, fleet } = build(release, file)
    const dump = execFileSync('sqlite3', [file, '.dump'], { encoding: 'utf8' })
    const head = `-- schema of release ${release.commit} (${git('log', '-1', '--format=%cs', release.commit).trim()}): ${release.what}\n` +
      `-- ${steps} steps of the one migration list (user_version ${steps})${fleet > 0 ? `, fleet part at ${fleet}` : ''}; written by scripts/schema-fixtures.mjs\n` +
      `PRAGMA user_version = ${steps};\n`
    writeFileSync(join(OUT, `${release.commit}.sql`), head + dump)
    console.log(`${release.commit}: ${steps} steps${fleet > 0 ? ` + fleet ${fleet}` : ''} → test/fixtures/schemas/${release.commit}.sql`)
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
