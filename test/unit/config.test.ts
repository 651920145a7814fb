import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { envOverrides, loadConfig, type LoadConfigOptions } from '../../core/config/load.js'
import type { StationConfig } from '../../core/config/schema.js'
import { MimamoriError } from '../../core/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'mimamori-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let fileCount = 0
function writeConfig (content: unknown): string {
  const file = join(dir, `config-${++fileCount}.json`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

/** loadConfig is expected to fail; returns the error so tests can read code and message. */
function failure (options: LoadConfigOptions): MimamoriError {
  try {
    loadConfig(options)
  } catch (err) {
    if (err instanceof MimamoriError) return err
    throw err
  }
  throw new Error('loadConfig accepted an invalid configuration')
}

function station (id: string, deviceId: string, thresholds: Partial<StationConfig['thresholds']> = {}): StationConfig {
  return {
    id,
    name: '青龍寺川 (新形橋)',
    nameEn: 'Seiryuji River (Shingata Bridge)',
    river: '青龍寺川',
    lat: 38.73,
    lon: 139.83,
    deviceId,
    datum: 10.5,
    sensorHeight: 5,
    thresholds: { standby: 1, caution: 1.5, evacuationJudgement: 2, danger: 2.5, flooding: 3, ...thresholds }
  }
}

describe('loadConfig sources', () => {
  it('runs on defaults alone', () => {
    const c = loadConfig()
    expect(c.dataDir).toBe('./data')
    expect(c.log).toEqual({ level: 'info', pretty: false })
    expect(c.broker).toMatchObject({ host: '127.0.0.1', port: 1883, wsPort: 8083 })
    expect(c.dashboard).toMatchObject({ host: '127.0.0.1', port: 3000 })
    expect(c.dashboard.map).toMatchObject({ center: [38.727, 139.827], zoom: 12 })
    expect(c.store).toMatchObject({ backend: 'embedded', file: 'mimamori.db' })
    expect(c.store.influx).toMatchObject({ url: 'http://127.0.0.1:8086', precision: 'ms', measurement: 'water_level', queryUrl: '' })
    expect(c.stations).toEqual([])
    expect(c.cameras).toEqual([])
  })

  it('gives each call its own objects, so one caller cannot change the defaults of the next', () => {
    const first = loadConfig()
    first.dashboard.map.center[0] = 0
    first.stations.push(station('s1', 'g1'))
    const second = loadConfig()
    expect(second.dashboard.map.center).toEqual([38.727, 139.827])
    expect(second.stations).toEqual([])
  })

  it('merges a file over the defaults key by key', () => {
    const file = writeConfig({ dashboard: { port: 4000, map: { zoom: 9 } }, log: { level: 'warn' }, stations: [station('s1', 'g1')] })
    const c = loadConfig({ file })
    expect(c.dashboard).toMatchObject({ host: '127.0.0.1', port: 4000 })
    expect(c.dashboard.map).toMatchObject({ zoom: 9, center: [38.727, 139.827] })
    expect(c.log).toEqual({ level: 'warn', pretty: false })
    expect(c.stations.map(s => s.id)).toEqual(['s1'])
  })

  it('applies file ← env ← overrides in that order', () => {
    const file = writeConfig({ dashboard: { port: 4000 } })
    const env = { MIMAMORI_DASHBOARD__PORT: '3001' }
    expect(loadConfig({ file, env }).dashboard.port).toBe(3001)
    expect(loadConfig({ file, env, overrides: { dashboard: { port: 3002 } } }).dashboard.port).toBe(3002)
  })

  it('reads MIMAMORI_* variables: numbers, strings, booleans, nested keys', () => {
    const c = loadConfig({
      env: {
        MIMAMORI_DASHBOARD__PORT: '3001',
        MIMAMORI_DATA_DIR: '/var/lib/mimamori',
        MIMAMORI_LOG__LEVEL: 'debug',
        MIMAMORI_LOG__PRETTY: 'true',
        MIMAMORI_BROKER__HOST: '0.0.0.0',
        // the config file path is not a setting, and other programs' variables are not ours
        MIMAMORI_CONFIG: '/etc/mimamori.json',
        PATH: '/usr/bin',
        MIMAMORI_UNSET: undefined
      }
    })
    expect(c.dashboard.port).toBe(3001)
    expect(c.dataDir).toBe('/var/lib/mimamori')
    expect(c.log).toEqual({ level: 'debug', pretty: true })
    expect(c.broker.host).toBe('0.0.0.0')
  })

  it('maps __ to nesting and SNAKE_CASE to camelCase; JSON arrays parse, scalars stay strings', () => {
    expect(envOverrides({ MIMAMORI_DASHBOARD__MAP__CENTER: '[35.68,139.76]', MIMAMORI_INGEST__MAX_IMAGE_BYTES: '1048576' }))
      .toEqual({ dashboard: { map: { center: [35.68, 139.76] } }, ingest: { maxImageBytes: '1048576' } })
  })

  it('leaves the variables that name files for tests and tools alone (MIMAMORI_SHARED exported for npm test must not break npm start)', () => {
    expect(envOverrides({ MIMAMORI_SHARED: '/data/shared', MIMAMORI_CONFIG: 'x.json', MIMAMORI_CHROMIUM: '/usr/bin/chromium', MIMAMORI_VM_BIN: '/x', MIMAMORI_INFLUXD_BIN: '/y', MIMAMORI_SKIP_PREREQS: '1', MIMAMORI_LOG__LEVEL: 'warn' }))
      .toEqual({ log: { level: 'warn' } })
  })

  it('coerces env strings to the schema type, and keeps digit-only strings as strings', () => {
    const config = loadConfig({ env: { MIMAMORI_INGEST__MAX_IMAGE_BYTES: '1048576', MIMAMORI_INGEST__PASSWORD: '1234', MIMAMORI_SIM__ENABLED: 'false' } })
    expect(config.ingest.maxImageBytes).toBe(1048576)
    expect(config.ingest.password).toBe('1234')
    expect(config.sim.enabled).toBe(false)
  })
})

describe('loadConfig errors name the key', () => {
  it('unknown key', () => {
    const err = failure({ file: writeConfig({ dashboard: { prot: 3000 } }) })
    expect(err.code).toBe('MIMAMORI_ERR_CONFIG')
    expect(err.message).toContain('dashboard.prot: is not a known setting')
    expect(err.details).toEqual({ errors: [expect.objectContaining({ key: 'dashboard.prot' })] })
  })

  it('port out of range', () => {
    const err = failure({ overrides: { dashboard: { port: 70000 } } })
    expect(err.code).toBe('MIMAMORI_ERR_CONFIG')
    expect(err.message).toContain('dashboard.port: must be <= 65535')
  })

  it('wrong type from env and from a file', () => {
    expect(failure({ env: { MIMAMORI_DASHBOARD__PORT: 'abc' } }).message).toContain('dashboard.port: must be integer')
    expect(failure({ file: writeConfig({ broker: { allowAnonymous: 'yes' } }) }).message).toContain('broker.allowAnonymous: must be boolean')
  })

  it('value outside a fixed list', () => {
    expect(failure({ env: { MIMAMORI_LOG__LEVEL: 'loud' } }).message).toContain('log.level: must be one of the allowed values')
  })

  it('missing required station field', () => {
    const { river: _river, ...incomplete } = station('s1', 'g1')
    const err = failure({ file: writeConfig({ stations: [incomplete] }) })
    expect(err.message).toContain("stations.0.river: must have required property 'river'")
  })

  it('invalid JSON, a non-object, and a missing file are file errors', () => {
    const broken = writeConfig('{ "dashboard": { "port": 3000, } }')
    const brokenErr = failure({ file: broken })
    expect(brokenErr.code).toBe('MIMAMORI_ERR_CONFIG_FILE')
    expect(brokenErr.message).toContain(`config file ${broken} is not valid JSON`)
    expect(failure({ file: writeConfig('[1, 2]') }).message).toContain('must contain a JSON object')
    const missing = failure({ file: join(dir, 'does-not-exist.json') })
    expect(missing.code).toBe('MIMAMORI_ERR_CONFIG_FILE')
    expect(missing.message).toContain('does-not-exist.json')
  })
})

describe('loadConfig semantic checks', () => {
  it('accepts well-ordered thresholds, with 観測開始水位 equal to caution', () => {
    const c = loadConfig({ overrides: { stations: [station('s1', 'g1', { observationStart: 1.5 })] } })
    expect(c.stations[0]!.thresholds.observationStart).toBe(1.5)
  })

  it('rejects thresholds that do not rise strictly', () => {
    const err = failure({ overrides: { stations: [station('s1', 'g1', { caution: 1 })] } })
    expect(err.code).toBe('MIMAMORI_ERR_CONFIG')
    expect(err.message).toContain('stations.0.thresholds: caution (1) must be above standby (1)')
  })

  it('rejects 観測開始水位 above caution', () => {
    const err = failure({ overrides: { stations: [station('s1', 'g1', { observationStart: 1.6 })] } })
    expect(err.message).toContain('stations.0.thresholds: observationStart (1.6) must not be above caution (1.5)')
  })

  it('rejects duplicate station, device and camera ids, naming each', () => {
    const camera = { id: 'c1', name: 'カメラ', nameEn: 'Camera', lat: 38.7, lon: 139.8 }
    const err = failure({
      overrides: { stations: [station('s1', 'g1'), station('s1', 'g2'), station('s3', 'g1')], cameras: [camera, camera] }
    })
    expect(err.code).toBe('MIMAMORI_ERR_CONFIG')
    expect(err.message).toContain('stations.1.id: duplicate station id s1')
    expect(err.message).toContain('stations.2.deviceId: device g1 already reports for another station')
    expect(err.message).toContain('cameras.1.id: duplicate camera id c1')
  })
})
