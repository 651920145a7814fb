import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import { createDeviceRegistry, SERVICE_ROLES, type Account, type AccountRole, type NewAccount } from '../broker/registry.js'
import { resolveConfig } from './config-source.js'
import { parseAction, unknownAction } from './usage.js'

export const DEVICE_USAGE = `mimamori device — MQTT identities (devices and service accounts) and gauge downlinks

Usage:
  mimamori device add --kind gauge|camera --id ID [--station STATION] [--json]
  mimamori device add --kind service --role ingest|dashboard|chirpstack --id ACCOUNT [--json]
  mimamori device add --kind ingest|dashboard|chirpstack --id ACCOUNT [--json]   (same, shorter)
  mimamori device list [--json]
  mimamori device rotate --id ID [--reactivate] [--json]
                                              new secret; the old one stops working. A revoked
                                              account is refused unless --reactivate
  mimamori device revoke --id ID              refused at the next CONNECT
  mimamori device migrate-secrets [--credentials FILE] [--json]
                                              secrets still stored in the old scrypt form: counted;
                                              with FILE (sim-credentials.json, or lines "id,secret"),
                                              rewritten in the fast form now instead of at the
                                              device's next CONNECT
  mimamori device downlink --station ID | --device ID [--mode watch|observe|maintenance]
      [--observe-interval MIN] [--heartbeat H] [--observation-start M] [--json]
                                              send a gauge its run-time settings over MQTT
                                              (mimamori device downlink --help)
  (all take --config file.json like the other commands)

The secret is printed once and stored only as a keyed SHA-256 hash (a random
192-bit secret needs no memory-hard hash; older registries hold scrypt hashes,
migrated at each device's next good CONNECT or by migrate-secrets). A device connects
with client id = username = its id; see docs/broker.md. A service account's
client id is its id or starts with "<id>-". Role chirpstack: a ChirpStack
network server's MQTT integration (publishes application/+/device/+/event/…).`

const KINDS = new Set(['gauge', 'camera', 'ingest', 'dashboard', 'chirpstack'])

/** `mimamori device …`: writes to the registry in the embedded database (dataDir/store.file). */
export async function deviceCommand (argv: string[], out: (s: string) => void = s => { process.stdout.write(s) }): Promise<number> {
  if (argv[0] === 'downlink') {
    // its own flags, and it talks to the broker rather than the registry
    const { deviceDownlinkCommand } = await import('./downlink.js')
    return await deviceDownlinkCommand(argv.slice(1), out)
  }
  const { values, positionals, exit } = parseAction(argv, DEVICE_USAGE, {
    kind: { type: 'string' }, id: { type: 'string' }, station: { type: 'string' }, role: { type: 'string' },
    reactivate: { type: 'boolean' }, credentials: { type: 'string' }
  }, out)
  if (exit !== undefined) return exit
  const action = positionals[0]
  const { config } = resolveConfig(values.config, process.env)
  const registry = createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger: silentLogger() })
  try {
    const need = (v: string | undefined, name: string): string => {
      if (v === undefined || v === '') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${name} is required\n\n${DEVICE_USAGE}`)
      return v
    }
    switch (action) {
      case 'add': {
        let kind = need(values.kind, 'kind')
        if (kind === 'service') {
          kind = need(values.role, 'role')
          if (!SERVICE_ROLES.includes(kind as AccountRole)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--role must be ${SERVICE_ROLES.join(', ')} (got "${kind}")`)
        } else if (values.role !== undefined) {
          throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--role goes with --kind service')
        }
        if (!KINDS.has(kind)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--kind must be gauge, camera, service (with --role), ingest, dashboard or chirpstack (got "${kind}")`)
        const id = need(values.id, 'id')
        const station = values.station
        if (station !== undefined && config.stations.length > 0 && !config.stations.some(s => s.id === station)) {
          throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `station "${station}" is not in the configuration`)
        }
        const spec: NewAccount = kind === 'gauge' || kind === 'camera'
          ? { id, role: 'device', kind, ...(station === undefined ? {} : { stationId: station }) }
          : { id, role: kind as AccountRole }
        const { account, secret } = await registry.add(spec)
        printSecret(out, account, secret, values.json === true)
        return 0
      }
      case 'rotate': {
        const { account, secret } = await registry.rotate(need(values.id, 'id'), { reactivate: values.reactivate === true })
        printSecret(out, account, secret, values.json === true)
        return 0
      }
      case 'revoke': {
        const account = registry.revoke(need(values.id, 'id'))
        out(values.json === true ? JSON.stringify(account) + '\n' : `revoked ${account.id}; its connections are refused from the next CONNECT\n`)
        return 0
      }
      case 'list': {
        const list = registry.list()
        if (values.json === true) {
          out(JSON.stringify(list) + '\n')
          return 0
        }
        out(['id\trole\tkind\tstation\tstate\tlast seen', ...list.map(a => [
          a.id, a.role, a.kind ?? '-', a.stationId ?? '-', a.revokedAt === null ? 'active' : 'revoked',
          a.lastSeen === null ? '-' : new Date(a.lastSeen).toISOString()
        ].join('\t'))].join('\n') + '\n')
        return 0
      }
      case 'migrate-secrets': {
        const given = values.credentials === undefined ? [] : readSecretsFile(values.credentials)
        const result = await registry.migrate(given)
        const left = registry.legacyCount()
        if (values.json === true) {
          out(JSON.stringify({ ...result, legacyLeft: left }) + '\n')
        } else {
          out([
            `migrated ${result.migrated}, already fast ${result.alreadyFast}` +
              (result.mismatched.length > 0 ? `, secret did not match: ${result.mismatched.join(' ')}` : '') +
              (result.unknown.length > 0 ? `, not registered: ${result.unknown.join(' ')}` : ''),
            `${left} account(s) still in the old scrypt form; each is migrated at its next good CONNECT`,
            ''
          ].join('\n'))
        }
        return result.mismatched.length > 0 ? 1 : 0
      }
      default:
        return unknownAction('device', action, DEVICE_USAGE, out)
    }
  } finally {
    registry.close()
  }
}

/** id/secret pairs: a sim-credentials.json ({ devices: { id: { username, password } } }) or lines "id,secret" */
function readSecretsFile (file: string): Array<{ id: string, secret: string }> {
  const text = readFileSync(file, 'utf8')
  if (text.trimStart().startsWith('{')) {
    const parsed = JSON.parse(text) as { devices?: Record<string, { username?: string, password?: string }> }
    return Object.entries(parsed.devices ?? {}).map(([id, d]) => ({ id: d.username ?? id, secret: d.password ?? '' }))
  }
  return text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#')).map(l => {
    const comma = l.indexOf(',')
    if (comma < 1) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${file}: expected "id,secret" per line`)
    return { id: l.slice(0, comma).trim(), secret: l.slice(comma + 1).trim() }
  })
}

function printSecret (out: (s: string) => void, account: Account, secret: string, json: boolean): void {
  if (json) {
    out(JSON.stringify({ id: account.id, role: account.role, kind: account.kind, stationId: account.stationId, username: account.id, password: secret }) + '\n')
    return
  }
  out([
    `${account.role === 'device' ? `${account.kind ?? ''} device` : `${account.role} service account`} ${account.id}`,
    `  MQTT client id:  ${account.id}`,
    `  MQTT username:   ${account.id}`,
    `  MQTT password:   ${secret}`,
    '  The password is shown this once and stored only as a hash. Keep it in the device\'s configuration;',
    '  if it is lost, `mimamori device rotate --id ' + account.id + '` issues a new one.',
    ''
  ].join('\n'))
}
