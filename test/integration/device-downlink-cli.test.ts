import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import type { DownlinkSent } from '../../cli/downlink.js'
import { decodeDownlink, DOWNLINK_FPORT } from '../../codecs/gauge-v1.js'
import { REPO_ROOT, runCli, waitFor } from '../helpers/app.js'
import { startTestBroker, type TestBroker } from '../helpers/broker.js'
import { riverStation } from '../helpers/river.js'
import { apiFetch, tokenFor, useToken } from '../helpers/auth.js'
import { loadConfig } from '../../core/config/load.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')

const cli = runCli

/**
 * `mimamori device downlink` as an operator runs it: the built CLI against a
 * real broker with authentication on, as a dashboard service account; the
 * gauge is a real MQTT client logged in with its device account, subscribed to
 * its own downlink topic (the only one its ACL lets it read).
 */
describe('mimamori device downlink (CLI → broker → gauge)', () => {
  const station = riverStation('dl-station', { observationStart: 1.0, standby: 1.5, caution: 2.0, evacuationJudgement: 2.5, danger: 3.0, flooding: 3.5 })
  const topic = `mmr/v1/gauge/${station.deviceId}/down`
  let t: TestBroker
  let dir: string
  let configFile: string
  let gauge: MqttClient
  let dashboardSecret: string
  let chirpstackSecret: string
  const received: Buffer[] = []

  beforeAll(async () => {
    t = await startTestBroker()
    const g = await t.registry.add({ id: station.deviceId, role: 'device', kind: 'gauge', stationId: station.id })
    dashboardSecret = (await t.registry.add({ id: 'ops-dashboard', role: 'dashboard' })).secret
    chirpstackSecret = (await t.registry.add({ id: 'chirpstack-ns', role: 'chirpstack' })).secret
    gauge = await mqtt.connectAsync(t.url, { clientId: station.deviceId, username: station.deviceId, password: g.secret, reconnectPeriod: 0 })
    gauge.on('message', (tp, payload) => { if (tp === topic) received.push(Buffer.from(payload)) })
    await gauge.subscribeAsync(topic, { qos: 1 })
    dir = mkdtempSync(join(tmpdir(), 'mimamori-downlink-cli-'))
    // the operator's configuration: the broker's port, the stations, the dashboard's service account (secret from env)
    configFile = join(dir, 'config.json')
    writeFileSync(configFile, JSON.stringify({
      dataDir: dir,
      log: { level: 'silent' },
      broker: { port: t.ports.port, allowAnonymous: false },
      dashboard: { mqttUsername: 'ops-dashboard' },
      stations: [station]
    }))
  })
  afterAll(async () => {
    await gauge?.endAsync()
    await t?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const secretEnv = (): Record<string, string> => ({ MIMAMORI_DASHBOARD__MQTT_PASSWORD: dashboardSecret })
  const nextFrame = async (before: number): Promise<Buffer> => await waitFor(() => received.length > before ? received[before] : undefined, 'downlink at the gauge')

  it('--station: switches the gauge to 観測 with all four settings; the gauge receives exactly the printed frame', async () => {
    const before = received.length
    const r = await cli(['device', 'downlink', '--station', station.id, '--mode', 'observe', '--observe-interval', '5', '--heartbeat', '6', '--observation-start', '-0.25', '--json', '--config', configFile], secretEnv())
    expect(r.code, r.err).toBe(0)
    const frame = await nextFrame(before)
    // docs/payload.md: header 0x10, then tag-value items in tag order; −0.25 m = int16 −250 mm = FF 06
    expect(frame.toString('hex')).toBe('1001010205030604ff06')
    const settings = { mode: 'observe', observeIntervalMin: 5, heartbeatHours: 6, observationStartM: -0.25 }
    expect(decodeDownlink({ bytes: frame, fPort: DOWNLINK_FPORT })).toEqual({ data: settings })
    expect(JSON.parse(r.out) as DownlinkSent).toEqual({ stationId: station.id, deviceId: station.deviceId, topic, fPort: 10, bytes: '1001010205030604ff06', settings })
  })

  it('--device, --mqtt-url and --password-file: human output with the hex bytes and the decoded setting', async () => {
    const before = received.length
    const secretFile = join(dir, 'dashboard.secret')
    writeFileSync(secretFile, dashboardSecret + '\n', { mode: 0o600 })
    const r = await cli(['device', 'downlink', '--device', station.deviceId, '--mode', 'watch', '--mqtt-url', t.url, '--password-file', secretFile, '--config', configFile])
    expect(r.code, r.err).toBe(0)
    const frame = await nextFrame(before)
    expect(frame.toString('hex')).toBe('100100')
    expect(decodeDownlink({ bytes: frame, fPort: DOWNLINK_FPORT })).toEqual({ data: { mode: 'watch' } })
    expect(r.out).toContain(`downlink sent to gauge ${station.deviceId} (station ${station.id}`)
    expect(r.out).toContain('10 01 00')
    expect(r.out).toMatch(/mode:\s+watch \(監視, automatic\)/)
  })

  it('bad arguments: a coded error, exit status 1, no stack trace, nothing sent', async () => {
    const before = received.length
    const cases: Array<[string[], string, string]> = [
      [['--station', station.id, '--observe-interval', '0'], 'MIMAMORI_ERR_BAD_REQUEST', 'observeIntervalMin must be an integer 1..255 (given --observe-interval 0)'],
      [['--station', station.id, '--observation-start', '40'], 'MIMAMORI_ERR_BAD_REQUEST', 'observationStartM is outside ±32.767 m'],
      [['--station', station.id, '--heartbeat', 'daily'], 'MIMAMORI_ERR_BAD_REQUEST', '--heartbeat must be a number (got "daily")'],
      [['--station', station.id, '--mode', 'sleep'], 'MIMAMORI_ERR_BAD_REQUEST', '--mode must be watch, observe, maintenance (got "sleep")'],
      [['--station', station.id], 'MIMAMORI_ERR_BAD_REQUEST', 'name at least one setting'],
      [['--station', station.id, '--device', station.deviceId, '--mode', 'observe'], 'MIMAMORI_ERR_BAD_REQUEST', 'give one of --station or --device'],
      [['--station', station.id, '--mode', 'observe', '--interval', '5'], 'MIMAMORI_ERR_BAD_REQUEST', "Unknown option '--interval'"],
      [['--station', 'no-such-station', '--mode', 'observe'], 'MIMAMORI_ERR_NOT_FOUND', 'no station "no-such-station"'],
      [['--device', 'not a device', '--mode', 'observe'], 'MIMAMORI_ERR_BAD_REQUEST', '"not a device" is not a device id']
    ]
    for (const [args, code, message] of cases) {
      const r = await cli(['device', 'downlink', ...args, '--config', configFile], secretEnv())
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.err).toContain(`mimamori: ${code}: `)
      expect(r.err).toContain(message)
      expect(r.err).not.toMatch(/\n\s+at /)
      expect(r.out).toBe('')
    }
    // the next frame the gauge sees is the next good one: none of the above reached it
    const good = await cli(['device', 'downlink', '--station', station.id, '--mode', 'maintenance', '--config', configFile], secretEnv())
    expect(good.code, good.err).toBe(0)
    expect((await nextFrame(before)).toString('hex')).toBe('100102')
    expect(received.length).toBe(before + 1)
  })

  it('an account that may not write downlinks, or a wrong secret: MIMAMORI_ERR_MQTT, exit status 1', async () => {
    const before = received.length
    // role chirpstack may connect but publish only ChirpStack events: the broker drops the connection
    const refused = await cli(['device', 'downlink', '--station', station.id, '--mode', 'observe', '--username', 'chirpstack-ns', '--password', chirpstackSecret, '--config', configFile])
    expect(refused.code, refused.out + refused.err).toBe(1)
    expect(refused.err).toContain('mimamori: MIMAMORI_ERR_MQTT: ')
    expect(refused.err).toContain('may not write downlinks')
    const wrong = await cli(['device', 'downlink', '--station', station.id, '--mode', 'observe', '--config', configFile], { MIMAMORI_DASHBOARD__MQTT_PASSWORD: 'not-the-secret' })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('mimamori: MIMAMORI_ERR_MQTT: ')
    expect(wrong.err).toContain('refused')
    const good = await cli(['device', 'downlink', '--station', station.id, '--mode', 'watch', '--config', configFile], secretEnv())
    expect(good.code, good.err).toBe(0)
    expect((await nextFrame(before)).toString('hex')).toBe('100100')
  })

  it('a separate `mimamori dashboard` process sends POST /api/stations/:id/downlink over its own dashboard-role connection', async () => {
    const before = received.length
    const child = spawn(process.execPath, [CLI, 'dashboard', '--config', configFile], {
      env: { ...process.env, ...secretEnv(), MIMAMORI_DASHBOARD__PORT: '0', MIMAMORI_DASHBOARD__HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    try {
      const web = await waitFor(() => /dashboard: (http:\/\/\S+)/.exec(out)?.[1], 'dashboard URL printed', 30_000)
      // downlinks are staff/admin only, with a reason for the audit log
      useToken(web, await tokenFor(loadConfig({ file: configFile }), 'ops-staff', 'staff'))
      const res = await apiFetch(`${web}/api/stations/${station.id}/downlink`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'observe', observeIntervalMin: 2, reason: 'CLI test: observe for 2 min' }) })
      expect(res.status, err).toBe(202)
      const frame = await nextFrame(before)
      expect(decodeDownlink({ bytes: frame, fPort: DOWNLINK_FPORT })).toEqual({ data: { mode: 'observe', observeIntervalMin: 2 } })
    } finally {
      child.kill('SIGTERM')
      await new Promise(resolve => child.once('exit', resolve))
    }
  })
})
