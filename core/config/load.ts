import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import { MimamoriError } from '../errors.js'
import { thresholdOrderProblem } from '../levels.js'
import { ConfigSchema, type Config } from './schema.js'

export const ENV_PREFIX = 'MIMAMORI_'

export interface LoadConfigOptions {
  /** path of a JSON config file; missing means defaults only */
  file?: string | undefined
  /** environment to read `MIMAMORI_*` overrides from (process.env in the CLI) */
  env?: Record<string, string | undefined>
  /** last word, used by tests and CLI flags */
  overrides?: DeepPartial<Config>
}

export type DeepPartial<T> = T extends Array<infer _U> ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T

// coerceTypes turns env strings into the numbers/booleans the schema asks for,
// while a string setting such as a password of digits stays a string.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: true })
const validate = ajv.compile<Config>(ConfigSchema)

/**
 * defaults ← file ← env ← overrides, then one validation pass, so whatever the
 * source of a bad value, the error names the key and what was wrong with it.
 */
export function loadConfig (options: LoadConfigOptions = {}): Config {
  let merged: Record<string, unknown> = {}
  if (options.file !== undefined) merged = deepMerge(merged, readConfigFile(options.file))
  if (options.env !== undefined) merged = deepMerge(merged, envOverrides(options.env))
  if (options.overrides !== undefined) merged = deepMerge(merged, options.overrides as Record<string, unknown>)

  const candidate = structuredClone(merged)
  if (!validate(candidate)) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG', `invalid configuration:\n${formatErrors(validate.errors ?? [])}`, {
      details: { errors: (validate.errors ?? []).map(e => ({ key: keyOf(e), message: e.message })) }
    })
  }
  checkSemantics(candidate)
  return candidate
}

function readConfigFile (file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG_FILE', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG_FILE', `config file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG_FILE', `config file ${file} must contain a JSON object`)
  }
  return parsed as Record<string, unknown>
}

/**
 * MIMAMORI_* variables that name files for the CLI and the tests, not settings: a developer
 * who exported MIMAMORI_SHARED for the tests must still be able to `npm start`.
 */
const NOT_SETTINGS = new Set(['CONFIG', 'SHARED', 'CHROMIUM', 'VM_BIN', 'INFLUXD_BIN', 'SKIP_PREREQS'])

/**
 * `MIMAMORI_DASHBOARD__PORT=3001` → dashboard.port; `__` separates levels and
 * SNAKE_CASE becomes camelCase (`MIMAMORI_STORE__FILE`, `MIMAMORI_DATA_DIR`).
 * Arrays and objects are given as JSON; scalars stay strings and are coerced
 * to the type the schema declares during validation.
 */
export function envOverrides (env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || NOT_SETTINGS.has(name.slice(ENV_PREFIX.length))) continue
    const path = name.slice(ENV_PREFIX.length).split('__').map(camelCase)
    if (path.some(p => p === '')) continue
    let value: unknown = raw
    if (/^\s*[[{]/.test(raw)) {
      try {
        value = JSON.parse(raw)
      } catch {
        // left as a string: validation then names the key and the expected type
      }
    }
    let node = out
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!
      const next = node[key]
      if (next === undefined || typeof next !== 'object' || next === null) node[key] = {}
      node = node[key] as Record<string, unknown>
    }
    node[path[path.length - 1]!] = value
  }
  return out
}

function camelCase (segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function deepMerge (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key]
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value
  }
  return out
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function keyOf (e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.')
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty
    return base === '' ? extra : `${base}.${extra}`
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty
    return base === '' ? missing : `${base}.${missing}`
  }
  return base === '' ? '(root)' : base
}

function formatErrors (errors: ErrorObject[]): string {
  const lines = new Set<string>()
  for (const e of errors) {
    // Union branches produce one error each; the enum-like summary is clearer.
    if (e.keyword === 'const' || e.keyword === 'anyOf') continue
    const message = e.keyword === 'additionalProperties' ? 'is not a known setting' : e.message ?? 'is invalid'
    lines.add(`  - ${keyOf(e)}: ${message}`)
  }
  for (const e of errors) {
    if (e.keyword === 'anyOf') lines.add(`  - ${keyOf(e)}: must be one of the allowed values`)
  }
  return [...lines].join('\n')
}

function checkSemantics (config: Config): void {
  const problems: string[] = []
  const stationIds = new Set<string>()
  const deviceIds = new Set<string>()
  config.stations.forEach((s, i) => {
    if (stationIds.has(s.id)) problems.push(`  - stations.${i}.id: duplicate station id ${s.id}`)
    if (deviceIds.has(s.deviceId)) problems.push(`  - stations.${i}.deviceId: device ${s.deviceId} already reports for another station`)
    stationIds.add(s.id)
    deviceIds.add(s.deviceId)
    const order = thresholdOrderProblem(s.thresholds)
    if (order !== null) problems.push(`  - stations.${i}.thresholds: ${order}`)
  })
  const cameraIds = new Set<string>()
  config.cameras.forEach((c, i) => {
    if (cameraIds.has(c.id)) problems.push(`  - cameras.${i}.id: duplicate camera id ${c.id}`)
    cameraIds.add(c.id)
  })
  if (problems.length > 0) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG', `invalid configuration:\n${problems.join('\n')}`)
  }
}
