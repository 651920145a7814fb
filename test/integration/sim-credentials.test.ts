import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { loadConfig } from '../../core/config/load.js'
import { REPO_ROOT, demoConfigFile, waitFor } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')

interface Sim { child: ChildProcess, exit: Promise<number | null>, out: () => string }

/**
 * A separate-process `mimamori sim` (built CLI) against a broker with
 * anonymous access off: refused without credentials; `--provision` registers
 * the configured gauges and cameras and writes a 0600 credentials file; a
 * later plain `mimamori sim` authenticates from that file.
 */
describe('mimamori sim against a broker with anonymous off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-sim-creds-'))
  let t: TestBroker
  let watcher: MqttClient
  const uplinks = new Set<string>()
  const sims: Sim[] = []
  const { stations, cameras } = loadConfig({ file: demoConfigFile() })

  const startSim = (...args: string[]): Sim => {
    const child = spawn(process.execPath, [CLI, 'sim', '--config', demoConfigFile(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MIMAMORI_DATA_DIR: dir, MIMAMORI_SIM__MQTT_URL: t.url, MIMAMORI_SIM__GAUGE_INTERVAL_MS: '1000', MIMAMORI_LOG__PRETTY: 'false', MIMAMORI_LOG__LEVEL: 'info' }
    })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
    const sim = { child, out: () => out, exit: new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) })) }
    sims.push(sim)
    return sim
  }
  const stopSim = async (s: Sim): Promise<void> => {
    if (s.child.exitCode === null) s.child.kill('SIGTERM')
    await s.exit
  }

  beforeAll(async () => {
    t = await startTestBroker({}, dir)
    const svc = await t.registry.add({ id: 'svc-watch', role: 'ingest' })
    watcher = await mqtt.connectAsync(t.url, { clientId: 'svc-watch', username: 'svc-watch', password: svc.secret, reconnectPeriod: 0 })
    await watcher.subscribeAsync('mmr/v1/gauge/+/up', { qos: 0 })
    watcher.on('message', topic => { uplinks.add(topic.split('/')[3]!) })
  })
  afterAll(async () => {
    for (const s of sims) if (s.child.exitCode === null) s.child.kill('SIGKILL')
    await Promise.all(sims.map(async s => await s.exit))
    watcher?.end(true)
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is refused without credentials', async () => {
    const refusedBefore = t.broker.counters.authFailures.anonymous_refused
    const sim = startSim()
    await waitFor(() => t.broker.counters.authFailures.anonymous_refused > refusedBefore ? true : undefined, 'anonymous sim refused', 30_000)
    await stopSim(sim)
    expect(uplinks.size).toBe(0)
  })

  it('--provision registers the fleet, writes a 0600 file, and its gauges publish', async () => {
    const sim = startSim('--provision')
    await waitFor(() => uplinks.size === stations.length ? true : undefined, 'an uplink from every gauge', 30_000)
    await stopSim(sim)
    const file = join(dir, 'sim-credentials.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const creds = JSON.parse(readFileSync(file, 'utf8')) as { devices: Record<string, { kind: string, password: string }> }
    expect(Object.keys(creds.devices).sort()).toEqual([...stations.map(s => s.deviceId), ...cameras.map(c => c.id)].sort())
    const accounts = t.registry.list()
    for (const s of stations) expect(accounts.find(a => a.id === s.deviceId)).toMatchObject({ role: 'device', kind: 'gauge', stationId: s.id })
    for (const c of cameras) expect(accounts.find(a => a.id === c.id)).toMatchObject({ role: 'device', kind: 'camera' })
    // secrets go to the file only, never to the log
    for (const d of Object.values(creds.devices)) expect(sim.out()).not.toContain(d.password)
  })

  it('a later plain `mimamori sim` authenticates from the file', async () => {
    uplinks.clear()
    const failures = { ...t.broker.counters.authFailures }
    const sim = startSim()
    await waitFor(() => uplinks.size === stations.length ? true : undefined, 'an uplink from every gauge again', 30_000)
    await stopSim(sim)
    expect(t.broker.counters.authFailures).toEqual(failures)
    expect(sim.out()).toContain('authenticate with the credentials file')
  })
})
