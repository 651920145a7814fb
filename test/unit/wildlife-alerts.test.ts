import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Detection } from '../../core/types.js'
import { readDemoConfig, startTestApp, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'

const MIN = 60_000
const COOLDOWN = 30 * MIN

interface SightingJson { id: string, burstId: string, suppressed: boolean, alertId: string | null, alert: null | { id: string, state: string, drill: boolean } }
interface AlertJson { id: string, state: string, drill: boolean, resolution: string | null, resolvedBy: string | null, acknowledgedBy: string | null, firedAt: string | null, createdAt: string }

/** the on-device path (acceptDetections) runs the same vote → cooldown → alert code as the worker pool, without a model */
function burst (cameraId: string, burstId: string, time: number, positives = 3): Detection[] {
  return [0, 1, 2].map(i => ({
    cameraId, burstId, time: time + i * 1000, frameIndex: i, frameCount: 3, positive: i < positives, score: i < positives ? 0.8 : 0.01,
    label: 'macaque', via: i < positives ? 'whole' : 'none', boxes: [], thumbnail: null, errorCode: null
  }))
}

describe('wildlife alerts: cooldown from the last alerting sighting, lifecycle, drills', () => {
  let t: TestApp
  const cams = readDemoConfig().cameras
  const drillCam = { ...cams[0]!, id: 'cam-drill-01', name: '訓練カメラ', nameEn: 'drill camera', drill: true }
  const api = async <T>(path: string, body?: unknown): Promise<{ status: number, body: T }> => {
    const res = await apiFetch(t.info.dashboardUrl + path, body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as T }
  }
  const sightings = async (cameraId: string): Promise<SightingJson[]> => (await api<SightingJson[]>(`/api/wildlife/sightings?cameraId=${cameraId}&limit=100`)).body

  beforeAll(async () => {
    t = await startTestApp({ vision: { enabled: false }, wildlife: { minPositiveFrames: 2, cooldownMs: COOLDOWN }, cameras: [...cams, drillCam] })
  })
  afterAll(async () => { await t?.close() })

  it('raises one alert for a troop that stays (bursts every 5 min inside the cooldown), a new one after it, and supersedes the old', async () => {
    const w = t.app.ingest!.wildlife
    const cam = 'cam-yutagawa-01'
    const t0 = Date.now() - 3 * 3_600_000
    // 6 bursts 5 min apart: the 2nd, 4th and 6th used to alert again (each compared with a suppressed one)
    for (let k = 0; k < 6; k++) expect(await w.acceptDetections(burst(cam, `stay-${k}`, t0 + k * 5 * MIN))).toBe(3)
    let list = await sightings(cam)
    expect(list.map(s => [s.burstId, s.suppressed])).toEqual([5, 4, 3, 2, 1, 0].map(k => [`stay-${k}`, k !== 0]))
    expect(list.filter(s => s.alertId !== null)).toHaveLength(1)
    const first = list.find(s => s.burstId === 'stay-0')!
    expect(first.alert).toMatchObject({ state: 'firing', drill: false })

    // the troop is back 40 min after the alerting sighting (10 min after the last suppressed one): a new alert
    await w.acceptDetections(burst(cam, 'back', t0 + 40 * MIN))
    list = await sightings(cam)
    const back = list.find(s => s.burstId === 'back')!
    expect(back.suppressed).toBe(false)
    expect(back.alertId).not.toBeNull()
    expect(back.alertId).not.toBe(first.alertId)
    const old = (await api<AlertJson>(`/api/alerts/${first.alertId}`)).body
    expect(old).toMatchObject({ state: 'resolved', resolution: 'superseded' })
    expect((await api<AlertJson>(`/api/alerts/${back.alertId}`)).body.state).toBe('firing')
    // and a burst right after the new alert is inside its cooldown
    await w.acceptDetections(burst(cam, 'back-2', t0 + 45 * MIN))
    expect((await sightings(cam)).find(s => s.burstId === 'back-2')?.suppressed).toBe(true)
    // a redelivered burst is no second sighting
    expect(await w.acceptDetections(burst(cam, 'back', t0 + 40 * MIN))).toBe(0)
    expect((await sightings(cam)).filter(s => s.burstId === 'back')).toHaveLength(1)
  })

  it('is firing at once (the k-of-n vote is the confirmation), then acknowledged and resolved through the API', async () => {
    const w = t.app.ingest!.wildlife
    await w.acceptDetections(burst('cam-haguro-01', 'life', Date.now() - 60_000))
    const [s] = await sightings('cam-haguro-01')
    const a = (await api<AlertJson>(`/api/alerts/${s!.alertId}`)).body
    expect(a.state).toBe('firing')
    expect(a.firedAt).toBe(a.createdAt)
    // the signed-in user acts (startTestApp's test admin); a body's `by` is ignored
    const ack = await api<AlertJson>(`/api/alerts/${a.id}/ack`, { by: 'hunter-a', note: '向かいます' })
    expect(ack.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'test-admin' })
    const res = await api<AlertJson>(`/api/alerts/${a.id}/resolve`, { note: '追い払い済み' })
    expect(res.body).toMatchObject({ state: 'resolved', resolvedBy: 'test-admin' })
    expect((await sightings('cam-haguro-01'))[0]!.alert?.state).toBe('resolved')
    // resolved alerts cannot be acknowledged again
    expect((await api<{ code: string }>(`/api/alerts/${a.id}/ack`, { by: 'hunter-b' })).body.code).toBe('MIMAMORI_ERR_ALERT_STATE')
    // the next troop there (after the cooldown) opens a fresh alert, not the resolved one
    await w.acceptDetections(burst('cam-haguro-01', 'life-2', Date.now() - 60_000 + COOLDOWN))
    const next = (await sightings('cam-haguro-01')).find(s => s.burstId === 'life-2')!
    expect(next.alertId).not.toBe(a.id)
    expect(next.alert?.state).toBe('firing')
  })

  it('raises a drill camera\'s sightings as drill alerts, apart from the live ones', async () => {
    const w = t.app.ingest!.wildlife
    await w.acceptDetections(burst(drillCam.id, 'drill-1', Date.now() - 30_000))
    const [s] = await sightings(drillCam.id)
    expect(s!.alert).toMatchObject({ state: 'firing', drill: true })
    const drills = (await api<AlertJson[]>('/api/alerts?kind=wildlife&drill=true')).body
    expect(drills.map(a => a.id)).toEqual([s!.alertId])
    const live = (await api<AlertJson[]>('/api/alerts?kind=wildlife&drill=false')).body
    expect(live.length).toBeGreaterThan(0)
    expect(live.every(a => !a.drill)).toBe(true)
  })
})
