/**
 * `npm run bench`: every benchmark, one after the other (never in parallel: they
 * would share the CPUs they measure). See bench/README.md.
 *
 *   npm run bench                      build, then broker + vision
 *   npm run bench -- --only broker     one of them
 *   npm run bench -- --broker "--messages 20000 --connections 2000"
 *
 * Each bench is its own compiled script run as a child process; the vision bench
 * runs only when it is built (dist/bench/vision/run.js) and its data (../shared
 * or $MIMAMORI_SHARED, with images/ and models/) is there.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { only: { type: 'string', default: '' }, broker: { type: 'string', default: '' }, ingest: { type: 'string', default: '' }, vision: { type: 'string', default: '' }, scale: { type: 'string', default: '' }, export: { type: 'string', default: '' }, codecs: { type: 'string', default: '' }, storm: { type: 'string', default: '' } } })
const here = import.meta.dirname
const root = join(here, '..', '..')
const shared = process.env.MIMAMORI_SHARED ?? join(root, '..', 'shared')

interface Bench { name: string, script: string, args: string[], ready(): string | null }
const benches: Bench[] = [
  { name: 'broker', script: join(here, 'broker', 'run.js'), args: split(values.broker), ready: () => null },
  { name: 'ingest', script: join(here, 'ingest', 'run.js'), args: split(values.ingest), ready: () => null },
  {
    name: 'vision',
    script: join(here, 'vision', 'run.js'),
    args: split(values.vision),
    ready: () => existsSync(join(shared, 'images')) && existsSync(join(shared, 'models')) ? null : `no ${join(shared, 'images')} / models (set MIMAMORI_SHARED)`
  },
  // connected gauges, reconnect storm, 2 brokers + Redis (bench/README.md § bench/scale); needs redis-server
  { name: 'scale', script: join(here, 'scale', 'run.js'), args: split(values.scale), ready: () => null },
  { name: 'export', script: join(here, 'export', 'run.js'), args: split(values.export), ready: () => null },
  // vendor codec in the QuickJS sandbox vs our native frame: decode µs and ingest readings/s (bench/README.md § bench/codecs)
  { name: 'codecs', script: join(here, 'codecs', 'run.js'), args: split(values.codecs), ready: () => null },
  // reconnect storm of authenticated gauges after a restart (bench/README.md § bench/storm)
  { name: 'storm', script: join(here, 'storm', 'run.js'), args: split(values.storm), ready: () => null }
]

function split (s: string): string[] {
  return s.trim() === '' ? [] : s.trim().split(/\s+/)
}

async function run (b: Bench): Promise<number | null> {
  process.stdout.write(`\n=== bench/${b.name} ===\n`)
  const child = spawn(process.execPath, [b.script, ...b.args], { stdio: 'inherit' })
  return await new Promise(resolve => child.once('exit', code => { resolve(code) }))
}

async function main (): Promise<void> {
  const summary: string[] = []
  let failed = false
  for (const b of benches) {
    if (values.only !== '' && values.only !== b.name) continue
    if (!existsSync(b.script)) { summary.push(`${b.name}: skipped (${b.script} not built)`); continue }
    const notReady = b.ready()
    if (notReady !== null) { summary.push(`${b.name}: skipped (${notReady})`); continue }
    const code = await run(b)
    if (code !== 0) failed = true
    summary.push(`${b.name}: ${code === 0 ? 'done' : `failed (exit ${String(code)})`}`)
  }
  process.stdout.write(`\n=== benches ===\n${summary.join('\n')}\n`)
  process.exitCode = failed ? 1 : 0
}

void main()
