import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { loadConfig } from '../../core/config/load.js'
import { createEventBus } from '../../core/bus.js'
import { openTestAlerts } from '../helpers/alerts.js'
import { createBroker } from '../../broker/index.js'
import { createDeviceRegistry } from '../../broker/registry.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import { createIngest } from '../../ingest/index.js'
import { REPO_ROOT, waitFor } from '../helpers/app.js'
import { connectAs, refusal, startTestBroker, type TestBroker } from '../helpers/broker.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')


async function closed (client: MqttClient): Promise<void> {
  if (client.connected === false && client.disconnected) return
  await new Promise<void>(resolve => client.once('close', () => { resolve() }))
}

describe('broker: device identity and ACLs (anonymous off)', () => {
  let t: TestBroker
  let gauge: { username: string, password: string }
  let camera: { username: string, password: string }
  let ingest: { username: string, password: string }
  const clients: MqttClient[] = []
  const track = (c: MqttClient): MqttClient => { clients.push(c); return c }

  beforeAll(async () => {
    t = await startTestBroker({ broker: { limits: { authFailures: 100 } } })
    const g = await t.registry.add({ id: 'gauge-a', role: 'device', kind: 'gauge', stationId: 'st-a' })
    const c = await t.registry.add({ id: 'cam-a', role: 'device', kind: 'camera' })
    const i = await t.registry.add({ id: 'svc-ingest', role: 'ingest' })
    gauge = { username: 'gauge-a', password: g.secret }
    camera = { username: 'cam-a', password: c.secret }
    ingest = { username: 'svc-ingest', password: i.secret }
  })
  afterAll(async () => {
    for (const c of clients) c.end(true)
    await t?.close()
  })

  it('stores only a hash of the secret', () => {
    const file = join(t.dataDir, t.config.store.file)
    // WAL mode: recent rows live in the -wal file until a checkpoint
    const raw = readFileSync(file).toString('latin1') + readFileSync(file + '-wal').toString('latin1')
    expect(raw).not.toContain(gauge.password)
    expect(raw).toContain('sha256$')
  })

  it('refuses anonymous clients, wrong passwords and a client id that is not the device id', async () => {
    expect(await refusal(t.url, { clientId: 'gauge-a' })).toBe(5)
    expect(await refusal(t.url, { clientId: 'gauge-a', username: 'gauge-a', password: 'nope' })).toBe(4)
    expect(await refusal(t.url, { clientId: 'someone-else', ...gauge })).toBe(5)
    expect(t.broker.counters.authFailures.anonymous_refused).toBeGreaterThanOrEqual(1)
    expect(t.broker.counters.authFailures.bad_credentials).toBeGreaterThanOrEqual(1)
    expect(t.broker.counters.authFailures.client_id_mismatch).toBeGreaterThanOrEqual(1)
  })

  it('lets a device publish its own topics and read only its own downlink; a service account reads all', async () => {
    const svc = track(await connectAs(t.url, { clientId: 'svc-ingest-1', clean: false, ...ingest }))
    const seen: string[] = []
    svc.on('message', topic => { seen.push(topic) })
    await svc.subscribeAsync('mmr/v1/+/+/up', { qos: 1 })
    const dev = track(await connectAs(t.url, { clientId: 'gauge-a', ...gauge }))
    const own = await dev.subscribeAsync('mmr/v1/gauge/gauge-a/down', { qos: 1 })
    expect(own[0]?.qos).toBe(1)
    // SUBACK 0x80 (failure); MQTT.js turns it into a rejected subscribe
    await expect(dev.subscribeAsync('mmr/v1/gauge/gauge-b/down', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await expect(dev.subscribeAsync('mmr/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await dev.publishAsync('mmr/v1/gauge/gauge-a/up', Buffer.alloc(11, 1), { qos: 1 })
    await waitFor(() => seen.includes('mmr/v1/gauge/gauge-a/up') ? true : undefined, 'service account got the uplink')
    expect(t.broker.counters.deniedSubscribe).toBeGreaterThanOrEqual(2)

    // a service can send a downlink, the device gets it
    const down = new Promise<string>(resolve => dev.once('message', topic => { resolve(topic) }))
    await svc.publishAsync('mmr/v1/gauge/gauge-a/down', Buffer.from([0x10]), { qos: 1 })
    expect(await down).toBe('mmr/v1/gauge/gauge-a/down')
  })

  it('closes a device that publishes under another device id, and only that device', async () => {
    const bystander = track(await connectAs(t.url, { clientId: 'cam-a', ...camera }))
    const dev = track(await connectAs(t.url, { clientId: 'gauge-a', ...gauge }))
    const before = t.broker.counters.closed.not_authorized ?? 0
    dev.publish('mmr/v1/gauge/gauge-b/up', Buffer.alloc(11), { qos: 1 })
    await closed(dev)
    await waitFor(() => (t.broker.counters.closed.not_authorized ?? 0) > before ? true : undefined, 'not_authorized counted')
    // a gauge may not pretend to be a camera either
    const dev2 = track(await connectAs(t.url, { clientId: 'gauge-a', ...gauge }))
    dev2.publish('mmr/v1/camera/gauge-a/image', Buffer.alloc(100), { qos: 1 })
    await closed(dev2)
    expect(bystander.connected).toBe(true)
    await bystander.publishAsync('mmr/v1/camera/cam-a/status', JSON.stringify({ online: true }), { qos: 1, retain: true })
  })

  it('limits payload by topic class: a 2 kB gauge frame closes the client, a 100 kB image is fine', async () => {
    const cam = track(await connectAs(t.url, { clientId: 'cam-a', ...camera }))
    await cam.publishAsync('mmr/v1/camera/cam-a/image', Buffer.alloc(100_000, 7), { qos: 1 })
    const dev = track(await connectAs(t.url, { clientId: 'gauge-a', ...gauge }))
    const before = t.broker.counters.closed.payload_too_large ?? 0
    dev.publish('mmr/v1/gauge/gauge-a/up', Buffer.alloc(2048), { qos: 1 })
    await closed(dev)
    await waitFor(() => (t.broker.counters.closed.payload_too_large ?? 0) > before ? true : undefined, 'payload_too_large counted')
    expect(cam.connected).toBe(true)
  })

  it('drops an oversized or malformed packet from its header, before the body arrives', async () => {
    const watcher = track(await connectAs(t.url, { clientId: 'cam-a', ...camera }))
    const rawClose = async (bytes: number[]): Promise<void> => {
      await new Promise<void>((resolve, reject) => {
        const s = netConnect(t.ports.port, '127.0.0.1', () => { s.write(Buffer.from(bytes)) })
        s.once('close', () => { resolve() })
        s.once('error', () => undefined)
        s.setTimeout(20_000, () => { reject(new Error('not closed')) })
      })
    }
    // PUBLISH with a remaining length of 268 MB, body never sent
    await rawClose([0x30, 0xff, 0xff, 0xff, 0x7f])
    // reserved packet type 0
    await rawClose([0x00, 0x00])
    expect(t.broker.counters.closed.packet_too_large).toBeGreaterThanOrEqual(1)
    expect(t.broker.counters.closed.malformed).toBeGreaterThanOrEqual(1)
    expect(watcher.connected).toBe(true)
  })

  it('rate-limits failed logins per address, without checking the secret', async () => {
    await t.close()
    t = await startTestBroker({ broker: { limits: { authFailures: 3 } } })
    gauge.password = (await t.registry.add({ id: 'gauge-a', role: 'device', kind: 'gauge' })).secret
    for (let i = 0; i < 3; i++) await refusal(t.url, { clientId: 'gauge-a', username: 'gauge-a', password: `guess-${i}` })
    // now even the right password is refused until the window passes
    expect(await refusal(t.url, { clientId: 'gauge-a', ...gauge })).toBe(5)
    expect(t.broker.counters.authFailures.rate_limited).toBeGreaterThanOrEqual(1)
  })
})

describe('broker: secrets never reach the log', () => {
  let t: TestBroker | undefined
  afterAll(async () => { await t?.close() })

  it('logs (at trace) of a failed and a successful device login, and ingest\'s broker URL, hold no secret', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'trace' }, new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb() } }))
    const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-secret-log-'))
    const registry = createDeviceRegistry({ file: join(dataDir, 'mimamori.db'), logger })
    const config = loadConfig({ overrides: { dataDir, broker: { port: 0, wsPort: 0, persistence: { backend: 'memory' } }, vision: { enabled: false } } })
    const broker = createBroker({ config, logger, registry })
    await broker.start()
    const { secret } = await registry.add({ id: 'gauge-log', role: 'device', kind: 'gauge' })
    const svc = (await registry.add({ id: 'svc-log', role: 'ingest' })).secret
    const wrong = 'wrong-' + secret.slice(6)
    expect(await refusal(broker.url, { clientId: 'gauge-log', username: 'gauge-log', password: wrong })).toBe(4)
    const c = await connectAs(broker.url, { clientId: 'gauge-log', username: 'gauge-log', password: secret })
    await c.publishAsync('mmr/v1/gauge/gauge-log/status', JSON.stringify({ online: true }), { qos: 1 })
    await c.endAsync()
    // ingest with its credentials in the URL, as an operator might configure it
    const store = createEmbeddedStore({ file: join(dataDir, 'mimamori.db'), logger })
    const alerts = openTestAlerts(config, logger)
    const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, clientId: 'svc-log' } }, logger, bus: createEventBus(), store, alerts, mqttUrl: broker.url.replace('mqtt://', `mqtt://svc-log:${encodeURIComponent(svc)}@`) })
    await ingest.start()
    await ingest.close()
    await alerts.close()
    await store.close()
    await broker.close()
    registry.close()
    rmSync(dataDir, { recursive: true, force: true })
    const log = lines.join('')
    // the log saw these logins (so the check below is about something)
    expect(log).toContain('MQTT authentication refused')
    expect(log).toContain('ingest subscribed')
    expect(log).toContain('svc-log:***@')
    for (const s of [secret, wrong, svc, encodeURIComponent(svc)]) expect(log).not.toContain(s)
  })
})

describe('broker: revoke and rotate take effect at the next CONNECT', () => {
  let t: TestBroker
  afterAll(async () => { await t?.close() })

  it('refuses a revoked device and an old secret after rotation', async () => {
    t = await startTestBroker()
    const { secret } = await t.registry.add({ id: 'gauge-r', role: 'device', kind: 'gauge' })
    const c = await connectAs(t.url, { clientId: 'gauge-r', username: 'gauge-r', password: secret })
    await c.endAsync()
    const { secret: next } = await t.registry.rotate('gauge-r')
    expect(await refusal(t.url, { clientId: 'gauge-r', username: 'gauge-r', password: secret })).toBe(4)
    const c2 = await connectAs(t.url, { clientId: 'gauge-r', username: 'gauge-r', password: next })
    await c2.endAsync()
    t.registry.revoke('gauge-r')
    expect(await refusal(t.url, { clientId: 'gauge-r', username: 'gauge-r', password: next })).toBe(4)
    expect(t.registry.get('gauge-r')?.lastSeen).not.toBeNull()
  })
})

describe('broker: TLS listener and connection cap', () => {
  let t: TestBroker
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-tls-'))
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves mqtts with the configured certificate and refuses connections above maxConnections', async () => {
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
    t = await startTestBroker({ broker: { allowAnonymous: true, tls: { enabled: true, port: 0, cert, key }, limits: { maxConnections: 2 } } })
    expect(t.ports.tlsPort).toBeGreaterThan(0)
    const secure = await connectAs(`mqtts://127.0.0.1:${t.ports.tlsPort!}`, { clientId: 'tls-client', ca: readFileSync(cert), rejectUnauthorized: true })
    const got = new Promise<string>(resolve => secure.once('message', (_t, p) => { resolve(p.toString()) }))
    await secure.subscribeAsync('x/tls', { qos: 1 })
    // mosquitto_pub over TLS too, verifying our certificate
    await new Promise<void>((resolve, reject) => {
      const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(t.ports.tlsPort), '--cafile', cert, '-t', 'x/tls', '-m', 'over-tls', '-q', '1'], { stdio: 'ignore' })
      p.once('exit', code => { code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${String(code)}`)) })
    })
    expect(await got).toBe('over-tls')
    // an untrusted client-side CA fails the handshake
    await expect(connectAs(`mqtts://127.0.0.1:${t.ports.tlsPort!}`, { clientId: 'x', rejectUnauthorized: true })).rejects.toThrow()

    const second = await connectAs(t.url, { clientId: 'second' })
    const before = t.broker.counters.closed.max_connections ?? 0
    // a third transport is closed on accept (MQTT.js would just wait, so a raw socket shows it)
    await new Promise<void>(resolve => {
      const s = netConnect(t.ports.port, '127.0.0.1')
      s.once('close', () => { resolve() })
      s.once('error', () => undefined)
    })
    expect(t.broker.counters.closed.max_connections ?? 0).toBeGreaterThan(before)
    await second.endAsync()
    await secure.endAsync()
  })
})

describe('mimamori device (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-device-cli-'))
  let t: TestBroker | undefined
  afterAll(async () => {
    await t?.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const cli = (...args: string[]): string => execFileSync(process.execPath, [CLI, 'device', ...args], { env: { ...process.env, MIMAMORI_DATA_DIR: dir }, encoding: 'utf8' })

  it('adds a device, prints its credentials once, lists it without the secret, and the broker accepts them', async () => {
    const added = JSON.parse(cli('add', '--kind', 'gauge', '--id', 'gauge-cli-01', '--station', 'uchikawa-oizumi', '--json')) as { username: string, password: string }
    expect(added.username).toBe('gauge-cli-01')
    expect(added.password.length).toBeGreaterThanOrEqual(32)
    const human = cli('add', '--kind', 'ingest', '--id', 'svc-x')
    expect(human).toMatch(/MQTT password:\s+\S{32}/)
    const list = cli('list')
    expect(list).toContain('gauge-cli-01')
    expect(list).toContain('uchikawa-oizumi')
    expect(list).not.toContain(added.password)
    expect(() => cli('add', '--kind', 'gauge', '--id', 'gauge-cli-01')).toThrow(/already registered/)

    t = await startTestBroker({}, dir)
    const c = await connectAs(t.url, { clientId: 'gauge-cli-01', username: added.username, password: added.password })
    await c.publishAsync('mmr/v1/gauge/gauge-cli-01/up', Buffer.alloc(11, 1), { qos: 1 })
    await c.endAsync()
    cli('revoke', '--id', 'gauge-cli-01')
    expect(await refusal(t.url, { clientId: 'gauge-cli-01', username: added.username, password: added.password })).toBe(4)
  })

  it('rotate: a new secret replaces the old; a revoked device stays revoked unless --reactivate', async () => {
    const added = JSON.parse(cli('add', '--kind', 'gauge', '--id', 'gauge-cli-02', '--json')) as { username: string, password: string }
    const rotated = JSON.parse(cli('rotate', '--id', 'gauge-cli-02', '--json')) as { password: string }
    expect(rotated.password).not.toBe(added.password)
    const url = t!.url
    expect(await refusal(url, { clientId: 'gauge-cli-02', username: 'gauge-cli-02', password: added.password })).toBe(4)
    const c = await connectAs(url, { clientId: 'gauge-cli-02', username: 'gauge-cli-02', password: rotated.password })
    await c.endAsync()

    cli('revoke', '--id', 'gauge-cli-02')
    let failure: { status: number | null, stderr: string } | undefined
    try {
      cli('rotate', '--id', 'gauge-cli-02')
    } catch (err) {
      failure = err as { status: number | null, stderr: string }
    }
    expect(failure?.status).toBe(1)
    expect(failure?.stderr).toContain('MIMAMORI_ERR_DEVICE_REVOKED')
    expect(JSON.parse(cli('list', '--json')).find((a: { id: string }) => a.id === 'gauge-cli-02').revokedAt).not.toBeNull()
    expect(await refusal(url, { clientId: 'gauge-cli-02', username: 'gauge-cli-02', password: rotated.password })).toBe(4)

    const back = JSON.parse(cli('rotate', '--id', 'gauge-cli-02', '--reactivate', '--json')) as { password: string }
    const c2 = await connectAs(url, { clientId: 'gauge-cli-02', username: 'gauge-cli-02', password: back.password })
    await c2.endAsync()
  })
})
