import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { createSimulatedGauge } from '../../simulators/gauge-device.js'
import { syntheticFleet } from '../../simulators/synthetic.js'
import { REPO_ROOT, runCli, startTestApp, waitFor, type TestApp } from '../helpers/app.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')

describe('seeded simulation', () => {
  it('the same seed gives the same fleet; another seed another one', () => {
    const a = syntheticFleet({ gauges: 50, cameras: 5, seed: 7 })
    expect(syntheticFleet({ gauges: 50, cameras: 5, seed: 7 })).toEqual(a)
    const b = syntheticFleet({ gauges: 50, cameras: 5, seed: 8 })
    expect(b.stations.map(s => s.id)).toEqual(a.stations.map(s => s.id))
    expect(b.stations.map(s => s.thresholds)).not.toEqual(a.stations.map(s => s.thresholds))
    // every station's bands rise, as the configuration requires
    for (const s of a.stations) expect(s.thresholds.standby < s.thresholds.caution && s.thresholds.caution < s.thresholds.danger && s.thresholds.danger < s.thresholds.flooding).toBe(true)
  })

  it('a simulated gauge sends the same frames every run (measurement noise seeded by its id)', async () => {
    const t = await startTestApp({ sim: { enabled: false } })
    try {
      const station = t.config.stations[0]!
      const frames = async (): Promise<string[]> => {
        const g = createSimulatedGauge({ station, scenario: time => 1 + Math.sin(time / 3_600_000), mqttUrl: t.info.mqttUrl, logger: silentLogger() })
        await g.connect()
        const out: string[] = []
        for (let i = 0; i < 5; i++) out.push(Buffer.from(await g.report(Date.parse('2026-08-12T06:00:00Z') + i * 600_000)).toString('hex'))
        await g.close()
        return out
      }
      const first = await frames()
      expect(await frames()).toEqual(first)
      expect(new Set(first).size).toBe(5)
    } finally {
      await t.close()
    }
  })
})

describe('mimamori sim --gauges N --cameras M (built CLI)', () => {
  let t: TestApp
  let dir: string
  const fleet = syntheticFleet({ gauges: 30, cameras: 1, seed: 3 })

  beforeAll(async () => {
    const printed = await runCli(['sim', '--gauges', '30', '--cameras', '1', '--seed', '3', '--print-config'])
    expect(printed.code, printed.err).toBe(0)
    expect(JSON.parse(printed.out)).toEqual(fleet)
    t = await startTestApp({ broker: { allowAnonymous: false }, stations: fleet.stations, cameras: fleet.cameras })
    dir = mkdtempSync(join(tmpdir(), 'mimamori-sim-scale-'))
  })
  afterAll(async () => {
    await t?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('each device is its own MQTT client with its own credentials; every gauge reports', async () => {
    const config = join(dir, 'config.json')
    writeFileSync(config, JSON.stringify({ dataDir: t.dataDir, log: { level: 'warn' }, broker: { port: t.info.mqttPort, allowAnonymous: false }, sim: { camera: { meanVisitIntervalMs: 3_600_000, visitAtStart: false } } }))
    const child = spawn(process.execPath, [CLI, 'sim', '--gauges', '30', '--cameras', '1', '--seed', '3', '--interval', '5s', '--provision', '--stats-every', '1s', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<number | null>(resolve => child.on('exit', resolve))
    try {
      // 31 device sessions on a broker that refuses anonymous clients: the credentials worked
      await waitFor(() => { if (child.exitCode !== null) throw new Error(err); return t.app.broker!.connectedClients >= 31 ? true : undefined }, '31 device clients', 30_000)
      await waitFor(async () => {
        const latest = await t.app.store!.latestReadings()
        return fleet.stations.every(s => latest.has(s.id)) ? true : undefined
      }, 'a reading from every simulated gauge', 30_000)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    const stats = JSON.parse(out.trim().split('\n').pop()!) as { gauges: number, cameras: number, sent: number, acked: number, failed: number }
    expect(stats).toMatchObject({ gauges: 30, cameras: 1, failed: 0 })
    expect(stats.acked).toBeGreaterThanOrEqual(30)
  })
})
