import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { openSse } from '../helpers/sse.js'
import { apiFetch, tokenFor } from '../helpers/auth.js'

const MINUTE = 60_000

interface AlertJson { id: string, kind: string, subjectId: string, rule: string, state: string, severity: string, acknowledgedBy: string | null, resolvedBy: string | null, drill: boolean }

describe('alerts over MQTT → rules → API and SSE', () => {
  let t: TestApp
  let device: MqttClient

  beforeAll(async () => {
    t = await startTestApp()
    device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: 'gauge-uchikawa-01' })
  })
  afterAll(async () => {
    await device?.endAsync()
    await t?.close()
  })

  /** as the test admin, or as the holder of `token` */
  const api = async <T>(path: string, body?: unknown, token?: string): Promise<{ status: number, body: T }> => {
    const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
    const res = await apiFetch(t.info.dashboardUrl + path, body === undefined
      ? { headers: auth }
      : { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as T }
  }
  const frame = (levelM: number, time: number): Buffer =>
    Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 14, spreadMm: 3, validPings: 20, totalPings: 20, time }))

  it('a crossing of 水防団待機 at 内川 fires one alert, pushed on SSE, acknowledged and resolved with who', async () => {
    const sse = await openSse(t.info.dashboardUrl + '/api/events')
    try {
      const base = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE
      // 内川: 水防団待機 0.9 m, 氾濫注意 1.4 m (config/demo.json)
      await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(0.7, base), { qos: 1 })
      await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(1.0, base + 10 * MINUTE), { qos: 1 })
      await device.publishAsync('mmr/v1/gauge/gauge-uchikawa-01/up', frame(1.05, base + 20 * MINUTE), { qos: 1 })
      const list = await waitFor(async () => {
        const { body } = await api<AlertJson[]>('/api/alerts?state=firing&kind=river')
        return body.length > 0 ? body : undefined
      }, 'firing alert')
      expect(list).toEqual([expect.objectContaining({ subjectId: 'uchikawa-oizumi', rule: 'threshold.standby', severity: 'minor', drill: false })])
      const id = list[0]!.id
      const fired = await sse.next(e => e.event === 'alert' && (JSON.parse(e.data) as AlertJson).id === id)
      expect(JSON.parse(fired.data)).toMatchObject({ state: 'firing', from: null, to: 'firing' })

      // who acts is the signed-in user (防災課 佐藤's account), whatever a body's `by` claims
      const sato = await tokenFor(t.config, 'sato', 'staff')
      const acked = await api<AlertJson>(`/api/alerts/${id}/ack`, { by: 'someone else' }, sato)
      expect(acked).toEqual({ status: 200, body: expect.objectContaining({ state: 'acknowledged', acknowledgedBy: 'sato' }) })
      // idempotent: a second ack by another user changes nothing
      const again = await api<AlertJson>(`/api/alerts/${id}/ack`, {}, await tokenFor(t.config, 'suzuki', 'staff'))
      expect(again.body.acknowledgedBy).toBe('sato')
      await sse.next(e => e.event === 'alert' && (JSON.parse(e.data) as { to: string }).to === 'acknowledged')

      const resolved = await api<AlertJson>(`/api/alerts/${id}/resolve`, { note: 'checked on site' }, sato)
      expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'sato' })
      expect((await api<AlertJson[]>('/api/alerts?state=open')).body).toEqual([])
      expect((await api<AlertJson[]>('/api/alerts?state=resolved&kind=river')).body).toHaveLength(1)
      const detail = await api<{ history: Array<{ to: string, by: string }> }>(`/api/alerts/${id}`)
      expect(detail.body.history.map(h => h.to)).toEqual(['firing', 'acknowledged', 'resolved'])

      // the readings API shows the QC verdict stored with each reading
      const readings = await api<{ readings: Array<{ qc?: { flag: number } }> }>(`/api/stations/uchikawa-oizumi/readings?from=${new Date(base).toISOString()}&to=${new Date(base + 20 * MINUTE).toISOString()}`)
      expect(readings.body.readings.map(r => r.qc?.flag)).toEqual([1, 1, 1])
    } finally {
      sse.close()
    }
  })

  it('answers bad alert requests with coded errors', async () => {
    const missing = await api<{ code: string }>('/api/alerts/00000000-0000-0000-0000-000000000000/ack', { by: 'x' })
    expect(missing).toEqual({ status: 404, body: expect.objectContaining({ code: 'MIMAMORI_ERR_NOT_FOUND' }) })
    const [resolved] = (await api<AlertJson[]>('/api/alerts?state=resolved')).body
    const conflict = await api<{ code: string }>(`/api/alerts/${resolved!.id}/ack`, { by: 'x' })
    expect(conflict).toEqual({ status: 409, body: expect.objectContaining({ code: 'MIMAMORI_ERR_ALERT_STATE' }) })
    const badBody = await api<{ code: string, message: string }>(`/api/alerts/${resolved!.id}/resolve`, { note: 'x'.repeat(1001) })
    expect(badBody.status).toBe(400)
    expect(badBody.body.code).toBe('MIMAMORI_ERR_BAD_REQUEST')
    const badState = await api<{ code: string }>('/api/alerts?state=burning')
    expect(badState).toEqual({ status: 400, body: expect.objectContaining({ code: 'MIMAMORI_ERR_BAD_REQUEST' }) })
  })
})
