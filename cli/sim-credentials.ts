import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { createDeviceRegistry } from '../broker/registry.js'
import type { FleetCredentials } from '../simulators/fleet.js'

/**
 * Credentials for a separate-process `mimamori sim` against a broker with
 * anonymous access off:
 *
 *   mimamori sim --provision [--credentials FILE]
 *     registers every configured station gauge and camera in the device
 *     registry (a new secret for one that exists), writes the secrets to FILE
 *     (default dataDir/sim-credentials.json, mode 0600) and runs the fleet;
 *   mimamori sim --credentials FILE      uses a file written before;
 *   mimamori sim                         uses dataDir/sim-credentials.json when it
 *                                        exists, anonymous otherwise (demo broker).
 */
export interface SimCredentialsFile {
  version: 1
  devices: Record<string, { kind: 'gauge' | 'camera', username: string, password: string }>
}

export function defaultSimCredentialsFile (config: Pick<Config, 'dataDir'>): string {
  return resolve(config.dataDir, 'sim-credentials.json')
}

export async function provisionSimCredentials (config: Config, file: string, logger: Logger): Promise<SimCredentialsFile> {
  const registry = createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger })
  const out: SimCredentialsFile = { version: 1, devices: {} }
  try {
    const wanted: Array<{ id: string, kind: 'gauge' | 'camera', stationId?: string }> = [
      ...config.stations.map(s => ({ id: s.deviceId, kind: 'gauge' as const, stationId: s.id })),
      ...config.cameras.map(c => ({ id: c.id, kind: 'camera' as const }))
    ]
    for (const w of wanted) {
      const existing = registry.get(w.id)
      if (existing !== undefined && (existing.role !== 'device' || existing.kind !== w.kind)) {
        throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `"${w.id}" is registered as ${existing.role}${existing.kind === null ? '' : ` (${existing.kind})`}, not a ${w.kind}; not provisioning the simulator over it`)
      }
      const { secret } = existing === undefined
        ? await registry.add({ id: w.id, role: 'device', kind: w.kind, ...(w.stationId === undefined ? {} : { stationId: w.stationId }) })
        : await registry.rotate(w.id)
      out.devices[w.id] = { kind: w.kind, username: w.id, password: secret }
    }
  } finally {
    registry.close()
  }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  logger.info({ file, devices: Object.keys(out.devices).length }, 'simulator devices provisioned (secrets written only to the credentials file)')
  return out
}

export function readSimCredentials (file: string): SimCredentialsFile {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG', `cannot read simulator credentials ${file}: ${(err as Error).message}`, { cause: err })
  }
  const f = parsed as Partial<SimCredentialsFile>
  if (f.version !== 1 || typeof f.devices !== 'object' || f.devices === null) throw new MimamoriError('MIMAMORI_ERR_CONFIG', `${file} is not a simulator credentials file (version 1)`)
  return f as SimCredentialsFile
}

export function fleetCredentials (f: SimCredentialsFile): FleetCredentials {
  return (kind, deviceId) => {
    const d = f.devices[deviceId]
    return d !== undefined && d.kind === kind ? { username: d.username, password: d.password } : undefined
  }
}

/** `mimamori sim [--provision] [--credentials FILE]` → the fleet's credentials, or undefined (anonymous) */
export async function simCredentials (config: Config, logger: Logger, argv: string[]): Promise<FleetCredentials | undefined> {
  const { values } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { provision: { type: 'boolean' }, credentials: { type: 'string' } } })
  const explicit = typeof values.credentials === 'string' ? resolve(values.credentials) : undefined
  const file = explicit ?? defaultSimCredentialsFile(config)
  if (values.provision === true) return fleetCredentials(await provisionSimCredentials(config, file, logger))
  if (explicit !== undefined || existsSync(file)) {
    const creds = readSimCredentials(file)
    logger.info({ file, devices: Object.keys(creds.devices).length }, 'simulator devices authenticate with the credentials file')
    return fleetCredentials(creds)
  }
  logger.warn('simulator devices connect anonymously (no credentials file); a broker with anonymous access off refuses them — run `mimamori sim --provision` once')
  return undefined
}
