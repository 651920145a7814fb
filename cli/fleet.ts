import { readFileSync, writeFileSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import { createEmbeddedStore } from '../store/embedded.js'
import { exportFleet, formatFleetFile, parseFleetFile, planFleetImport } from '../store/fleet-file.js'
import { createDeviceRegistry } from '../broker/registry.js'
import { resolveConfig } from './config-source.js'

export const FLEET_USAGE = `mimamori fleet — the fleet registry (stations, cameras, thresholds, state) as a file

Usage:
  mimamori fleet export [--format yaml|json] [--out FILE] [--config file.json]
  mimamori fleet import FILE [--dry-run] [--by NAME] [--config file.json]

  export    the registry as YAML (default) or JSON: every station and camera, its state,
            the thresholds in force and their source, and each station's revision history
  import    validates FILE (YAML or JSON, schema + threshold order; errors name the field in
            Japanese and English) and applies the differences as registry changes: new devices
            are commissioned, changed fields updated, changed thresholds become a NEW revision
            valid from now (history is never rewritten), state changes (maintenance, retired:
            the device's MQTT account is revoked). Devices missing from FILE are left alone.
  --dry-run prints the changes (+ new, ~ changed) and changes nothing
  Precedence: docs/fleet.md. Credentials for devices added by import: mimamori device add.`

/** `mimamori fleet …`; resolves to the exit code */
export async function fleetCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' }, out: { type: 'string' }, 'dry-run': { type: 'boolean' }, by: { type: 'string', default: 'cli' },
      config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }
    }
  })
  const [sub, fileArg] = positionals
  if (values.help === true || sub === undefined) {
    process.stdout.write(FLEET_USAGE + '\n')
    return sub === undefined && values.help !== true ? 1 : 0
  }
  const { config } = resolveConfig(values.config, process.env)
  const file = resolve(config.dataDir, config.store.file)
  const store = createEmbeddedStore({ file, logger: silentLogger() })
  try {
    if (sub === 'export') {
      const format = values.format ?? (values.out !== undefined && extname(values.out) === '.json' ? 'json' : 'yaml')
      if (format !== 'yaml' && format !== 'json') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--format must be yaml or json')
      const text = formatFleetFile(exportFleet(store), format)
      if (values.out === undefined || values.out === '-') process.stdout.write(text)
      else writeFileSync(values.out, text)
      return 0
    }
    if (sub === 'import') {
      if (fileArg === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `import needs a FILE\n\n${FLEET_USAGE}`)
      const doc = parseFleetFile(readFileSync(fileArg, 'utf8'), fileArg)
      const changes = planFleetImport(store, doc)
      for (const c of changes) process.stdout.write(c.text + '\n')
      if (changes.length === 0) process.stdout.write('no changes\n')
      if (values['dry-run'] === true) {
        process.stdout.write(`dry run: ${changes.length} change(s), nothing applied\n`)
        return 0
      }
      const registry = createDeviceRegistry({ file, logger: silentLogger() })
      try {
        for (const c of changes) {
          c.apply(store.fleet, values.by)
          if (c.op === 'state' && store.fleet.entry(c.kind, c.id)?.state === 'retired') {
            const deviceId = c.kind === 'gauge' ? store.getStation(c.id)?.deviceId : c.id
            if (deviceId !== undefined && registry.get(deviceId) !== undefined) registry.revoke(deviceId)
          }
        }
      } finally {
        registry.close()
      }
      process.stdout.write(`applied ${changes.length} change(s)\n`)
      return 0
    }
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `unknown fleet command "${sub}"\n\n${FLEET_USAGE}`)
  } finally {
    await store.close()
  }
}
