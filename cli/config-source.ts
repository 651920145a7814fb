import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig, type DeepPartial } from '../core/config/load.js'
import type { Config } from '../core/config/schema.js'
import { packageRoot } from '../core/paths.js'
import { MimamoriError } from '../core/errors.js'

export const LOCAL_CONFIG = 'mimamori.config.json'

/**
 * Which file configures this run: --config, else $MIMAMORI_CONFIG, else
 * ./mimamori.config.json, else the bundled Tsuruoka demo.
 */
export function configFile (flag: string | undefined, env: NodeJS.ProcessEnv): { file: string, source: string } {
  if (flag !== undefined) return { file: resolve(flag), source: '--config' }
  const fromEnv = env.MIMAMORI_CONFIG
  if (fromEnv !== undefined && fromEnv !== '') return { file: resolve(fromEnv), source: 'MIMAMORI_CONFIG' }
  if (existsSync(LOCAL_CONFIG)) return { file: resolve(LOCAL_CONFIG), source: LOCAL_CONFIG }
  return { file: join(packageRoot(), 'config', 'demo.json'), source: 'bundled demo (config/demo.json)' }
}

export function resolveConfig (flag: string | undefined, env: NodeJS.ProcessEnv, overrides?: DeepPartial<Config>): { config: Config, source: string } {
  const { file, source } = configFile(flag, env)
  return { config: loadConfig({ file, env, overrides }), source }
}

/** the configured broker as seen from this host (0.0.0.0 listens everywhere, so connect to loopback) */
export function localBrokerUrl (config: Pick<Config, 'broker'>): string {
  const host = config.broker.host === '0.0.0.0' ? '127.0.0.1' : config.broker.host
  return `mqtt://${host}:${config.broker.port}`
}

/** a secret from `--password-file`: the file's text without surrounding whitespace */
export function readSecretFile (file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG_FILE', `cannot read --password-file ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** the flags of every command that connects to a broker itself (record, replay, device downlink) */
export const MQTT_CONNECT_OPTIONS = {
  'mqtt-url': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' }
} as const
