#!/usr/bin/env node
/**
 * What `npm test` needs besides node_modules, checked before the build so a fresh
 * machine gets ONE line naming what is missing and the one command that installs it,
 * instead of 25 test files failing with `spawn redis-server ENOENT`.
 *
 *   node scripts/check-prereqs.mjs          exit 1 and one line when something is missing
 *   node scripts/check-prereqs.mjs --warn   the same line, exit 0 (vitest globalSetup)
 *   MIMAMORI_SKIP_PREREQS=1                 skip the check (a partial run on purpose)
 *
 * Plain JavaScript on purpose: it runs before `tsc` has built anything.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** spawned by name, so they must be on PATH */
function onPath (name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {}
  }
  return false
}

/** [what the tests run, how they find it, Debian package] */
const programs = [
  ['redis-server', () => onPath('redis-server'), 'redis-server'],
  // Debian puts it in /usr/sbin, which a non-root PATH may lack: then it counts as missing, as the tests would find
  ['mosquitto', () => onPath('mosquitto'), 'mosquitto'],
  ['mosquitto_pub', () => onPath('mosquitto_pub') && onPath('mosquitto_sub'), 'mosquitto-clients'],
  ['influxd', () => existsSync(process.env.MIMAMORI_INFLUXD_BIN ?? '/usr/bin/influxd'), 'influxdb'],
  ['victoria-metrics', () => existsSync(process.env.MIMAMORI_VM_BIN ?? '/usr/bin/victoria-metrics'), 'victoria-metrics'],
  ['chromium', () => existsSync(process.env.MIMAMORI_CHROMIUM ?? '/usr/bin/chromium'), 'chromium']
]

/** test/helpers/app.ts reads the same variable with the same default */
const shared = process.env.MIMAMORI_SHARED ?? join(root, '..', 'shared')
const sharedNeeds = [
  ['models/mobilenetv2-12-int8.onnx', p => existsSync(p)],
  ['models/detector/yolox_nano.onnx', p => existsSync(p)],
  ['images/*.jpg', p => { try { return readdirSync(dirname(p)).some(f => f.endsWith('.jpg')) } catch { return false } }],
  ['data/river/*.csv', p => { try { return readdirSync(dirname(p)).some(f => f.endsWith('.csv')) } catch { return false } }]
]

export function checkPrereqs () {
  const missingPrograms = programs.filter(([, found]) => !found())
  const missingData = sharedNeeds.filter(([rel, found]) => !found(join(shared, rel))).map(([rel]) => rel)
  const parts = []
  const fixes = []
  if (missingPrograms.length > 0) {
    parts.push(missingPrograms.map(([name]) => name).join(', '))
    const sudo = process.getuid?.() === 0 ? '' : 'sudo '
    fixes.push(`${sudo}apt-get install -y ${[...new Set(missingPrograms.map(([, , pkg]) => pkg))].join(' ')}`)
  }
  if (missingData.length > 0) {
    parts.push(`shared test data in ${shared} (${missingData.join(', ')})`)
    // the models alone could be fetched (npm run model:fetch), but the labelled images and river records cannot
    fixes.push(`export MIMAMORI_SHARED=<the project's shared/ folder with models/, images/, data/river/ (sources in its PROVENANCE files)> or put it at ${join(root, '..', 'shared')}`)
  }
  if (parts.length === 0) return undefined
  return `npm test: missing ${parts.join('; ')} — fix: ${fixes.join('; ')} (MIMAMORI_SKIP_PREREQS=1 runs anyway)`
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.env.MIMAMORI_SKIP_PREREQS === '1') process.exit(0)
  const line = checkPrereqs()
  if (line !== undefined) {
    process.stderr.write(line + '\n')
    if (!process.argv.includes('--warn')) process.exit(1)
  }
}
