/**
 * Export bench: rows/s and peak RSS of `mimamori export` (CSV and Parquet) over
 * a generated embedded database, against the sqlite3 shell's own CSV dump of
 * the same rows (the peer: no JSON, no formatting of times, C all the way).
 *
 *   node dist/bench/export/run.js [--rows 5000000] [--stations 100] [--keep DIR]
 *
 * Each export runs as its own `mimamori export` process, so its peak RSS
 * (VmHWM from /proc, polled) is the export's, not the generator's.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openParts } from '../../store/db.js'
import { STORE_PART } from '../../store/schema.js'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '5000000' }, stations: { type: 'string', default: '100' }, keep: { type: 'string' } } })
const ROWS = Number(values.rows)
const STATIONS = Number(values.stations)
const perStation = Math.ceil(ROWS / STATIONS)
const root = join(import.meta.dirname, '..', '..', '..')
const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'mimamori-bench-export-'))
const dbFile = join(dir, 'mimamori.db')
const STEP = 600_000
const end = Math.floor(Date.now() / STEP) * STEP
const start = end - (perStation - 1) * STEP

function generate (): void {
  const handle = openParts(dbFile, [STORE_PART], { what: 'bench database' })
  const db = handle.db
  const stations = Array.from({ length: STATIONS }, (_, i) => ({
    id: `bench-${String(i).padStart(3, '0')}`, name: `ベンチ観測所 ${i}`, nameEn: `Bench ${i}`, river: `川${i % 7}`,
    lat: 38.7, lon: 139.8, deviceId: `gauge-bench-${i}`, datum: 0, sensorHeight: 6,
    thresholds: { standby: 2, caution: 2.8, evacuationJudgement: 3.6, danger: 4.2, flooding: 5 }
  }))
  const insertStation = db.prepare('INSERT OR REPLACE INTO stations (id, device_id, doc, updated_at) VALUES (?, ?, ?, ?)')
  for (const s of stations) insertStation.run(s.id, s.deviceId, JSON.stringify(s), Date.now())
  const ins = db.prepare(`INSERT OR IGNORE INTO readings (station_id, time, device_id, received_at, level, battery_v, temperature_c, spread_mm, valid_pings, total_pings, device_flags, seq, qc_flag, qc_tests)
    VALUES (?, ?, ?, ?, ?, 3.6, 12.5, 4, 19, 20, 0, ?, 1, '{}')`)
  for (const s of stations) {
    db.transaction(() => {
      for (let i = 0; i < perStation; i++) {
        const time = start + i * STEP
        ins.run(s.id, time, s.deviceId, time + 1500, 1.2 + 0.5 * Math.sin(i / 144), i % 65536)
      }
    })()
  }
  handle.release()
  // a config for the CLI: the generated stations, this data dir
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ dataDir: dir, stations, cameras: [], hunters: [], sim: { enabled: false }, log: { level: 'silent' } }))
}

interface Run { name: string, seconds: number, rows: number, bytes: number, peakRssMb: number }

async function timed (name: string, cmd: string, args: string[], out: string, env: Record<string, string> = {}): Promise<Run> {
  const started = process.hrtime.bigint()
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } })
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  // peak RSS by polling /proc (the child is a plain process; no cgroup tricks needed)
  let peak = 0
  const poll = setInterval(() => {
    try {
      const status = spawnSync('cat', [`/proc/${child.pid}/status`], { encoding: 'utf8' }).stdout
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
      if (kb > peak) peak = kb
    } catch { /* exited */ }
  }, 100)
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearInterval(poll)
  if (code !== 0) throw new Error(`${name} failed (${String(code)}): ${err}`)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return { name, seconds, rows: ROWS, bytes: statSync(out).size, peakRssMb: peak / 1024 }
}

async function main (): Promise<void> {
  const genStart = Date.now()
  if (values.keep === undefined || !statSafe(dbFile)) generate()
  process.stdout.write(`generated ${ROWS} readings (${STATIONS} stations × ${perStation}, 10-min) in ${((Date.now() - genStart) / 1000).toFixed(1)} s → ${dir}\n`)
  const cli = join(root, 'dist', 'cli', 'main.js')
  const from = new Date(start).toISOString()
  const to = new Date(end).toISOString()
  const runs: Run[] = []
  const sqliteOut = join(dir, 'peer.csv')
  runs.push(await timed('sqlite3 shell CSV (peer)', 'sqlite3', ['-csv', '-header', dbFile, `.output ${sqliteOut}`, 'SELECT * FROM readings ORDER BY station_id, time;'], sqliteOut))
  for (const format of ['csv', 'parquet']) {
    const out = join(dir, `export.${format}`)
    // under a 64 MB old-space cap: an export that held its rows would die here, so finishing is the streaming proof
    runs.push(await timed(`mimamori export ${format} (heap ≤ 64 MB)`, process.execPath, ['--max-old-space-size=64', cli, 'export', '--config', join(dir, 'config.json'), '--dataset', 'readings', '--from', from, '--to', to, '--format', format, '--out', out, '--force', '--quiet'], out))
  }
  const peer = runs[0]!
  process.stdout.write('\n| run | rows/s | vs peer | peak RSS | file |\n|---|---|---|---|---|\n')
  for (const r of runs) {
    const rate = r.rows / r.seconds
    process.stdout.write(`| ${r.name} | ${Math.round(rate).toLocaleString('en')} | ${(rate / (peer.rows / peer.seconds)).toFixed(2)}× | ${r.peakRssMb.toFixed(0)} MB | ${(r.bytes / 1_048_576).toFixed(0)} MB |\n`)
  }
  if (values.keep === undefined) rmSync(dir, { recursive: true, force: true })
}

function statSafe (p: string): boolean {
  try { statSync(p); return true } catch { return false }
}

void main()
