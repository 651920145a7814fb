import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch, tokenFor } from '../helpers/auth.js'

const MINUTE = 60_000
const T = { observationStart: 0.3, standby: 0.5, caution: 1.0, evacuationJudgement: 1.5, danger: 2.0, flooding: 2.5 }
const gauge = { id: 'fleet-st-1', name: '試験川 (新橋)', nameEn: 'Test River (Shinbashi)', river: '試験川', lat: 38.73, lon: 139.83, deviceId: 'gauge-fleet-1', datum: 10, sensorHeight: 4, profile: 'mimamori-frame-v1', thresholds: T, source: '山形県河川課 2026-11 告示' }

interface Credentials { mqtt?: { username: string, password: string, topic: string } }

describe('fleet API: commission, revise, maintenance, retire', () => {
  let t: TestApp
  let staff: string
  let hunter: string
  beforeAll(async () => {
    t = await startTestApp({ broker: { allowAnonymous: false }, river: { rules: { clearDwellMinutes: 0 } } })
    staff = await tokenFor(t.config, 'fleet-staff', 'staff')
    hunter = await tokenFor(t.config, 'fleet-hunter', 'hunter', { hunterId: 'hunter-x' })
  })
  afterAll(async () => { await t?.close() })

  const api = async <T>(path: string, body?: unknown, token = staff): Promise<{ status: number, body: T }> => {
    const res = await apiFetch(t.info.dashboardUrl + path, body === undefined
      ? { headers: { authorization: `Bearer ${token}` } }
      : { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as T }
  }
  const frame = (levelM: number, time: number): Buffer =>
    Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 14, spreadMm: 3, validPings: 20, totalPings: 20, time }))

  it('hunters and researchers are refused (403)', async () => {
    expect((await api('/api/fleet', undefined, hunter)).status).toBe(403)
    expect((await api('/api/fleet/stations', gauge, hunter)).status).toBe(403)
    const researcher = await tokenFor(t.config, 'fleet-researcher', 'researcher')
    expect((await api('/api/fleet', undefined, researcher)).status).toBe(403)
  })

  it('a validation error names the field in Japanese and English', async () => {
    const res = await api<{ code: string, message: string, details: { field: string } }>('/api/fleet/stations', { ...gauge, thresholds: { ...T, danger: 1.2 } })
    expect(res.status).toBe(422)
    expect(res.body).toMatchObject({ code: 'MIMAMORI_ERR_VALIDATION', details: { field: 'danger' } })
    expect(res.body.message).toMatch(/氾濫危険水位.*flood danger level/)
    const noSource = await api<{ details: { field: string } }>('/api/fleet/stations', { ...gauge, source: '' })
    expect(noSource.body.details.field).toBe('source')
  })

  it('commission → credentials once → the device reports → revise → maintenance → retire (audited)', async () => {
    const made = await api<{ station: { id: string, state: string }, credentials: Credentials }>('/api/fleet/stations', gauge)
    expect(made.status).toBe(201)
    expect(made.body.station).toMatchObject({ id: gauge.id, state: 'active' })
    const c = made.body.credentials.mqtt!
    expect(c).toMatchObject({ username: gauge.deviceId, topic: `mmr/v1/gauge/${gauge.deviceId}/up` })
    // a second commission of the same id is refused; the secret is never shown again
    expect((await api('/api/fleet/stations', gauge)).status).toBe(409)

    const device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: gauge.deviceId, username: c.username, password: c.password, reconnectPeriod: 0 })
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 20 * MINUTE
    await device.publishAsync(c.topic, frame(1.2, base), { qos: 1 })
    const fired = await waitFor(async () => (await api<Array<{ rule: string, details: { thresholds: { revision: number, caution: number } } }>>('/api/alerts?kind=river')).body.find(a => a.rule === 'threshold.caution'), 'caution alert')
    expect(fired.details.thresholds).toMatchObject({ revision: 1, caution: 1.0, source: gauge.source })

    const rev = await api<{ revision: number }>(`/api/fleet/stations/${gauge.id}/thresholds`, { thresholds: { ...T, evacuationJudgement: 1.3 }, source: '河川改修後の見直し', reason: '堤防改修' })
    expect(rev).toMatchObject({ status: 201, body: { revision: 2 } })
    const history = await api<{ revisions: Array<{ revision: number, source: string }> }>(`/api/fleet/stations/${gauge.id}/thresholds`)
    expect(history.body.revisions.map(r => r.revision)).toEqual([1, 2])

    await api(`/api/fleet/gauge/${gauge.id}/state`, { state: 'maintenance', reason: 'センサー清掃' })
    const st = await api<{ state: string }>(`/api/stations/${gauge.id}`)
    expect(st.body.state).toBe('maintenance')
    await device.publishAsync(c.topic, frame(2.2, Date.now() - MINUTE), { qos: 1 })
    await waitFor(async () => (await api<{ readings: unknown[] }>(`/api/stations/${gauge.id}/readings`)).body.readings.length === 2 ? true : undefined, 'reading stored in maintenance')
    expect((await api<Array<{ rule: string }>>('/api/alerts?kind=river')).body.filter(a => a.rule.startsWith('threshold.') && ['threshold.danger', 'threshold.evacuationJudgement'].includes(a.rule))).toEqual([])

    await api(`/api/fleet/gauge/${gauge.id}/state`, { state: 'retired', reason: '撤去' })
    // a frame still sent on the open connection is refused and counted; a new connection is refused
    await device.publishAsync(c.topic, frame(2.3, Date.now()), { qos: 1 })
    await waitFor(() => t.app.ingest?.stats.rejected.MIMAMORI_ERR_DEVICE_RETIRED === 1 ? true : undefined, 'retired refusal counted')
    await device.endAsync()
    await expect(mqtt.connectAsync(t.info.mqttUrl, { clientId: gauge.deviceId, username: c.username, password: c.password, reconnectPeriod: 0 })).rejects.toThrow()
    // data stays
    expect((await api<{ readings: unknown[] }>(`/api/stations/${gauge.id}/readings`)).body.readings).toHaveLength(2)

    const audit = await api<Array<{ action: string, actor: string, detail: unknown }>>('/api/admin/audit?limit=50', undefined, t.token)
    const actions = (Array.isArray(audit.body) ? audit.body : (audit.body as unknown as { entries: Array<{ action: string }> }).entries).map(a => a.action)
    expect(actions).toEqual(expect.arrayContaining(['fleet.commission.gauge', 'fleet.thresholds', 'fleet.state']))
  })
})
