import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import type { StationConfig } from '../../core/config/schema.js'
import { signUplink } from '../../codecs/lorawan/webhook-auth.js'
import { readDemoConfig, REPO_ROOT, SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch, tokenFor } from '../helpers/auth.js'

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'lorawan')
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor message shapes, read as they are
const fixture = (name: string): any => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'))
const SECRET = 'generic-webhook-secret-0123456789'
const TTS_TOKEN = 'tts-webhook-token-0123456789abcdef'

interface ApiReading { level: number | null, time: string, batteryV: number | null }

/** one station per sensor; the payloads are the vendors' published example bytes where one has a distance */
const DEVICES = [
  { id: 'lw-ldds75', devEui: 'a84041000181c0de', profile: 'dragino-ldds75', sensorHeight: 4, bytes: [0x0D, 0x3B, 0x0A, 0xEF, 0x00, 0x00, 0x00, 0x01], fPort: 2, level: 1.201 },
  { id: 'lw-ldds75-12', devEui: 'a84041000181c0df', profile: 'dragino-ldds75-fw12', sensorHeight: 4, bytes: [0x0D, 0x3B, 0x0A, 0xEF, 0x00, 0x00, 0x00, 0x01], fPort: 2, level: 1.201 },
  { id: 'lw-em310', devEui: '24e124000000a001', profile: 'milesight-em310-udl', sensorHeight: 4, bytes: [0x01, 0x75, 0x64, 0x03, 0x82, 0xDC, 0x05, 0x04, 0x00, 0x00], fPort: 85, level: 2.5 },
  { id: 'lw-dl-mbx', devEui: '70b3d57ba0000001', profile: 'decentlab-dl-mbx', sensorHeight: 4, bytes: [0x02, 0x01, 0x2f, 0x00, 0x03, 0x04, 0xd2, 0x00, 0x01, 0x0b, 0xb1], fPort: 1, level: 2.766 },
  { id: 'lw-dl-lid', devEui: '70b3d57ba0000002', profile: 'decentlab-dl-lid', sensorHeight: 6, bytes: [0x02, 0x11, 0xc9, 0x00, 0x03, 0x11, 0x9b, 0x11, 0x76, 0x11, 0xbc, 0x11, 0x9e, 0x11, 0x8a, 0x11, 0x94, 0x11, 0xa8, 0x11, 0xa8, 0x11, 0x94, 0x00, 0x64, 0x01, 0x99, 0x0a, 0xbd], fPort: 1, level: 1.49 },
  // 0.0125732421875 bar ≈ 0.128 m of water above a probe 0.5 m above the gauge zero
  { id: 'lw-dl-pr36', devEui: '70b3d57ba0000003', profile: 'decentlab-dl-pr36', sensorHeight: 4, installOffsetM: 0.5, bytes: [0x02, 0x03, 0x2b, 0x00, 0x03, 0x80, 0x67, 0x97, 0x81, 0x0c, 0x2b], fPort: 1, level: 0.628 },
  { id: 'lw-elt', devEui: 'a81758fffe000001', profile: 'elsys-elt-ultrasonic', sensorHeight: 10, bytes: [0x01, 0x00, 0xE2, 0x02, 0x29, 0x03, 0x01, 0x27, 0x05, 0x14, 0x06, 0x01, 0x01, 0x11, 0x0E, 0x23, 0x11], fPort: 1, level: 1.023 }
] as const

const HOSTILE = ['loop', 'require', 'exit', 'huge', 'pollute'] as const
const hostileEui = (i: number): string => `feedc0de0000000${i}`

describe('vendor LoRaWAN sensors through profiles, four network-server paths, hostile codecs', () => {
  let t: TestApp
  let ns: MqttClient
  let fCnt = 1

  beforeAll(async () => {
    const base = readDemoConfig().stations[0]!
    const station = (id: string, devEui: string, profile: string, sensorHeight: number, installOffsetM?: number): StationConfig => ({
      ...base, id, name: id, nameEn: id, deviceId: `dev-${id}`, devEui, profile, sensorHeight, ...(installOffsetM === undefined ? {} : { installOffsetM })
    })
    const stations = [
      ...DEVICES.map(d => station(d.id, d.devEui, d.profile, d.sensorHeight, 'installOffsetM' in d ? d.installOffsetM : undefined)),
      ...HOSTILE.map((h, i) => station(`lw-hostile-${h}`, hostileEui(i), `hostile-${h}`, 4))
    ]
    t = await startTestApp({
      stations,
      lorawan: {
        codecFolders: [join(FIXTURES, 'hostile')],
        // a deadline a loaded CI machine cannot hit before the 100 MB codec hits the heap limit
        sandbox: { cpuMs: 2000 },
        vendorExamplesDir: join(SHARED, 'devices', 'lorawan'),
        profiles: HOSTILE.map(h => ({ id: `hostile-${h}`, vendor: 'Test', model: h, codec: `hostile/${h}`, measures: 'distance' as const, field: 'distance', unit: 'mm' as const })),
        webhook: { secrets: [{ id: 'town-ns', secret: SECRET }], ttsToken: TTS_TOKEN }
      }
    })
    ns = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'network-server' })
  })

  afterAll(async () => {
    await ns?.endAsync()
    await t?.close()
  })

  const readings = async (stationId: string, from: number, to: number): Promise<ApiReading[]> => {
    const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/${stationId}/readings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { readings: ApiReading[] }).readings
  }
  const chirpstack = async (devEui: string, bytes: readonly number[], fPort: number, time: number, cnt = fCnt++): Promise<void> => {
    const cs = fixture('chirpstack-up-ldds75.json') as { deviceInfo: { applicationId: string } }
    const e = { ...cs, deviceInfo: { ...cs.deviceInfo, devEui }, time: new Date(time).toISOString(), fCnt: cnt, fPort, data: Buffer.from(bytes).toString('base64') }
    await ns.publishAsync(`application/${e.deviceInfo.applicationId}/device/${devEui}/event/up`, JSON.stringify(e), { qos: 1 })
  }

  it('loads the built-in codecs (vendor examples included) and the hostile test codecs, which pass their own examples', () => {
    const codecs = t.app.ingest!.codecs
    expect(codecs.refused.map(r => r.id)).toEqual([])
    expect([...codecs.loaded.keys()]).toEqual(expect.arrayContaining(['dragino/ldds75-114', 'elsys/elt-ultrasonic', ...HOSTILE.map(h => `hostile/${h}`)]))
    expect(codecs.loaded.get('decentlab/dl-mbx')!.vendorExamples).toBe(2)
  })

  it('a reading from each sensor reaches the API and the map as a water level through its profile', async () => {
    const now = Date.now()
    for (const d of DEVICES) await chirpstack(d.devEui, d.bytes, d.fPort, now - 1000)
    for (const d of DEVICES) {
      const got = await waitFor(async () => { const r = await readings(d.id, now - 60_000, now + 60_000); return r.length > 0 ? r : undefined }, `${d.id} reading`)
      expect(got[0]!.level, d.id).toBeCloseTo(d.level, 3)
    }
    const map = await (await apiFetch(`${t.info.dashboardUrl}/api/stations`)).json() as Array<{ id: string, latest: { level: number } | null, status: string }>
    for (const d of DEVICES) {
      const s = map.find(x => x.id === d.id)!
      expect(s.latest?.level, d.id).toBeCloseTo(d.level, 3)
    }
    // battery through the profile: LDDS75 Bat (V), Elsys vdd (mV) → V
    expect((await readings('lw-ldds75', now - 60_000, now + 60_000))[0]!.batteryV).toBe(3.387)
  })

  it('stores the same uplink once whether it comes by ChirpStack, The Things Stack MQTT, its webhook or the signed generic webhook', async () => {
    const from = Date.parse('2025-07-01T03:00:00Z')
    const to = Date.parse('2025-07-01T03:01:00Z')
    const stats = t.app.ingest!.stats
    const settled = async (n: number): Promise<void> => { await waitFor(() => stats.received >= n ? true : undefined, `${n} received`) }
    const dup0 = stats.duplicates
    let n = stats.received

    const cs = fixture('chirpstack-up-ldds75.json')
    await ns.publishAsync(`application/${cs.deviceInfo.applicationId}/device/${cs.deviceInfo.devEui}/event/up`, JSON.stringify(cs), { qos: 1 })
    await settled(++n)

    const tts = fixture('tts-up-ldds75.json')
    await ns.publishAsync('v3/tsuruoka-river@ttn/devices/ldds75-akagawa/up', JSON.stringify(tts), { qos: 1 })
    await settled(++n)

    const hook = await fetch(`${t.info.dashboardUrl}/api/lorawan/tts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mimamori-token': TTS_TOKEN }, body: JSON.stringify(tts) })
    expect(hook.status).toBe(202)
    await settled(++n)

    const body = JSON.stringify(fixture('generic-up-ldds75.json'))
    const ts = Math.floor(Date.now() / 1000)
    const signed = { 'content-type': 'application/json', 'x-mimamori-key': 'town-ns', 'x-mimamori-timestamp': String(ts), 'x-mimamori-signature': signUplink(SECRET, ts, body) }
    const gen = await fetch(`${t.info.dashboardUrl}/api/lorawan/uplink`, { method: 'POST', headers: signed, body })
    expect(gen.status).toBe(202)
    await settled(++n)

    const got = await readings('lw-ldds75', from, to)
    expect(got).toHaveLength(1)
    expect(got[0]).toMatchObject({ time: '2025-07-01T03:00:12.480Z', level: 1.5, batteryV: 3.6 })
    expect(stats.duplicates - dup0).toBe(3)
  })

  it('refuses webhook calls without the right signature, token or timestamp, and a replayed request', async () => {
    const url = `${t.info.dashboardUrl}/api/lorawan/uplink`
    const body = JSON.stringify({ ...fixture('generic-up-ldds75.json'), fCnt: 4242 })
    const ts = Math.floor(Date.now() / 1000)
    const headers = (over: Record<string, string>): Record<string, string> => ({ 'content-type': 'application/json', 'x-mimamori-key': 'town-ns', 'x-mimamori-timestamp': String(ts), 'x-mimamori-signature': signUplink(SECRET, ts, body), ...over })
    const post = async (h: Record<string, string>, b = body): Promise<{ status: number, code: string }> => {
      const r = await fetch(url, { method: 'POST', headers: h, body: b })
      return { status: r.status, code: r.status === 202 ? 'ok' : ((await r.json()) as { code: string }).code }
    }
    expect(await post(headers({ 'x-mimamori-signature': signUplink('wrong-secret-0123456789', ts, body) }))).toEqual({ status: 401, code: 'MIMAMORI_ERR_WEBHOOK_SIGNATURE' })
    expect(await post(headers({}), body.replace('4242', '4243'))).toEqual({ status: 401, code: 'MIMAMORI_ERR_WEBHOOK_SIGNATURE' })
    const old = ts - 3600
    expect(await post(headers({ 'x-mimamori-timestamp': String(old), 'x-mimamori-signature': signUplink(SECRET, old, body) }))).toEqual({ status: 401, code: 'MIMAMORI_ERR_WEBHOOK_REPLAY' })
    expect(await post(headers({}))).toEqual({ status: 202, code: 'ok' })
    expect(await post(headers({}))).toEqual({ status: 401, code: 'MIMAMORI_ERR_WEBHOOK_REPLAY' })
    const tts = await fetch(`${t.info.dashboardUrl}/api/lorawan/tts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mimamori-token': 'not-the-token-at-all-000000' }, body: JSON.stringify(fixture('tts-up-ldds75.json')) })
    expect(tts.status).toBe(401)
  })

  it('stops hostile codecs with coded, counted errors while the other devices keep flowing', async () => {
    const stats = t.app.ingest!.stats
    const good = DEVICES[3]
    const base = Date.now() - 30_000
    for (let i = 0; i < HOSTILE.length; i++) {
      await chirpstack(hostileEui(i), [0xff, 0x64], 1, base + i * 1000)
      // a good device's uplink right behind each hostile one
      await chirpstack(good.devEui, good.bytes, good.fPort, base + i * 1000 + 500)
    }
    const goodReadings = await waitFor(async () => { const r = await readings(good.id, base, base + 10_000); return r.length === HOSTILE.length ? r : undefined }, 'good device readings')
    for (const r of goodReadings) expect(r.level).toBeCloseTo(good.level, 3)
    await waitFor(() => (stats.rejected.MIMAMORI_ERR_CODEC_MEMORY ?? 0) >= 1 ? true : undefined, 'hostile uplinks settled')
    expect(stats.rejected).toMatchObject({ MIMAMORI_ERR_CODEC_TIMEOUT: 1, MIMAMORI_ERR_CODEC_MEMORY: 1, MIMAMORI_ERR_CODEC_THREW: 2 })
    const perCodec = t.app.ingest!.codecs.stats
    expect(perCodec.get('hostile/loop')!.failures).toEqual({ MIMAMORI_ERR_CODEC_TIMEOUT: 1 })
    expect(perCodec.get('hostile/huge')!.failures).toEqual({ MIMAMORI_ERR_CODEC_MEMORY: 1 })
    // the same counts for operators: /healthz and, through it, /metrics
    const health = await (await fetch(`${t.info.dashboardUrl}/healthz`)).json() as { codecs: { refused: number, byCodec: Record<string, { failures: Record<string, number> }> } }
    expect(health.codecs.refused).toBe(0)
    expect(health.codecs.byCodec['hostile/loop']!.failures).toEqual({ timeout: 1 })
    const metrics = await (await apiFetch(`${t.info.dashboardUrl}/metrics`)).text()
    expect(metrics).toMatch(/^mimamori_codecs_by_codec_hostile_loop_failures_timeout 1$/m)
    // the polluting codec still decodes: its value is stored, its prototypes stay in its sandbox
    const polluted = await waitFor(async () => { const r = await readings('lw-hostile-pollute', base, base + 10_000); return r.length > 0 ? r : undefined }, 'pollute reading')
    expect(polluted[0]!.level).toBe(3)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined()
    // the sandboxes that were stopped decode again
    await chirpstack(hostileEui(0), [0x01, 0x64], 1, base + 9000)
    await waitFor(async () => { const r = await readings('lw-hostile-loop', base, base + 10_000); return r.length > 0 ? r : undefined }, 'loop codec recovered')
  })

  it('refuses uplinks of a retired vendor station (its data stays)', async () => {
    t.app.store!.fleet.setState('gauge', 'lw-elt', 'retired', { by: 'test' })
    expect(t.app.store!.getStation('lw-elt')!.state).toBe('retired')
    const before = t.app.ingest!.stats.rejected.MIMAMORI_ERR_DEVICE_RETIRED ?? 0
    const d = DEVICES[6]
    await chirpstack(d.devEui, d.bytes, d.fPort, Date.now())
    await waitFor(() => (t.app.ingest!.stats.rejected.MIMAMORI_ERR_DEVICE_RETIRED ?? 0) === before + 1 ? true : undefined, 'retired refusal')
    expect((await readings('lw-elt', Date.now() - 3_600_000, Date.now() + 60_000)).length).toBeGreaterThan(0)
  })

  it('lists the device profiles for staff and admins only', async () => {
    const res = await apiFetch(`${t.info.dashboardUrl}/api/devices/profiles`)
    expect(res.status).toBe(200)
    const list = await res.json() as Array<{ id: string, measures: string, unit: string }>
    expect(list).toEqual(expect.arrayContaining([{ id: 'decentlab-dl-pr36', vendor: 'Decentlab', model: 'DL-PR36 (kp 8192)', measures: 'depth', unit: 'bar' }]))
    expect(list.map(p => p.id)).toEqual(expect.arrayContaining(DEVICES.map(d => d.profile)))
    const researcher = await tokenFor(t.config, 'lw-researcher', 'researcher')
    expect((await fetch(`${t.info.dashboardUrl}/api/devices/profiles`, { headers: { authorization: `Bearer ${researcher}` } })).status).toBe(403)
    expect((await fetch(`${t.info.dashboardUrl}/api/devices/profiles`)).status).toBe(401)
  })
})

describe("The Things Stack's own MQTT server (lorawan.tts)", () => {
  it('subscribes to v3/+/devices/+/up as a client and stores the uplink once, also when bridged copies arrive', async () => {
    const { Aedes } = await import('aedes')
    const { createServer } = await import('node:net')
    // a real MQTT broker standing in for TTS's MQTT server
    const aedes = await Aedes.createBroker()
    const users: string[] = []
    aedes.authenticate = (_client, username, password, done) => { users.push(`${username ?? ''}:${password?.toString() ?? ''}`); done(null, password?.toString() === 'NNSXS.TEST-API-KEY') }
    const server = createServer(socket => { aedes.handle(socket) })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const base = readDemoConfig().stations[0]!
    const t = await startTestApp({
      stations: [{ ...base, id: 'lw-tts', name: 'tts', nameEn: 'tts', deviceId: 'dev-lw-tts', devEui: 'a84041000181c0de', profile: 'dragino-ldds75', sensorHeight: 4 }],
      lorawan: { tts: { url: `mqtt://127.0.0.1:${port}`, username: 'tsuruoka-river@ttn', password: 'NNSXS.TEST-API-KEY' } }
    })
    try {
      expect(users).toEqual(['tsuruoka-river@ttn:NNSXS.TEST-API-KEY'])
      const tts = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'tts-server', password: 'NNSXS.TEST-API-KEY' })
      const msg = JSON.stringify(fixture('tts-up-ldds75.json'))
      await tts.publishAsync('v3/tsuruoka-river@ttn/devices/ldds75-akagawa/up', msg, { qos: 1 })
      await tts.publishAsync('v3/tsuruoka-river@ttn/devices/ldds75-akagawa/up', msg, { qos: 1 })
      await waitFor(() => t.app.ingest!.stats.received >= 2 ? true : undefined, 'both copies settled')
      const res = await apiFetch(`${t.info.dashboardUrl}/api/stations/lw-tts/readings?from=2025-07-01T03:00:00Z&to=2025-07-01T03:01:00Z`)
      const got = ((await res.json()) as { readings: ApiReading[] }).readings
      expect(got).toEqual([expect.objectContaining({ level: 1.5, time: '2025-07-01T03:00:12.520Z' })])
      expect(t.app.ingest!.stats.duplicates).toBe(1)
      await tts.endAsync()
    } finally {
      await t.close()
      await new Promise<void>(resolve => { aedes.close(() => { resolve() }) })
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  })
})
