import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Detection } from '../../core/types.js'
import { applyImageRetention } from '../../ingest/wildlife/retention.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 5, 1)

function put (root: string, dir: 'images' | 'thumbnails', cam: string, time: number, frame: number, bytes: number): void {
  mkdirSync(join(root, dir, cam), { recursive: true })
  writeFileSync(join(root, dir, cam, `${time}-${frame}.jpg`), Buffer.alloc(bytes, 1))
}
const list = (root: string, dir: string, cam: string): string[] => { try { return readdirSync(join(root, dir, cam)).sort() } catch { return [] } }

describe('camera image retention', () => {
  const dirs: string[] = []
  let app: TestApp | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('deletes by age first, then the oldest images until the byte budget holds, and counts both', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mimamori-ret-'))
    dirs.push(root)
    put(root, 'images', 'cam-a', NOW - 40 * DAY, 0, 1000) // too old
    put(root, 'images', 'cam-b', NOW - 31 * DAY, 1, 1000) // too old
    put(root, 'thumbnails', 'cam-a', NOW - 40 * DAY, 0, 100) // too old
    put(root, 'thumbnails', 'cam-a', NOW - 10 * DAY, 0, 100) // kept: thumbnails only age out
    put(root, 'images', 'cam-a', NOW - 10 * DAY, 0, 1000) // oldest in budget → goes for size
    put(root, 'images', 'cam-b', NOW - 5 * DAY, 0, 1000) // goes for size
    put(root, 'images', 'cam-a', NOW - 2 * DAY, 0, 1000) // kept
    put(root, 'images', 'cam-b', NOW - 1 * DAY, 2, 1000) // kept
    const r = await applyImageRetention(root, { maxAgeDays: 30, maxImageBytes: 2500 }, NOW)
    expect(r).toEqual({
      deletedByAge: 3,
      deletedBySize: 2,
      deletedBytes: 4100,
      keptImages: 2,
      keptImageBytes: 2000,
      before: NOW - 30 * DAY,
      images: expect.arrayContaining([
        { cameraId: 'cam-a', time: NOW - 40 * DAY, frameIndex: 0 }, { cameraId: 'cam-b', time: NOW - 31 * DAY, frameIndex: 1 },
        { cameraId: 'cam-a', time: NOW - 10 * DAY, frameIndex: 0 }, { cameraId: 'cam-b', time: NOW - 5 * DAY, frameIndex: 0 }
      ]),
      thumbnails: [`thumbnails/cam-a/${NOW - 40 * DAY}-0.jpg`]
    })
    expect(r.images).toHaveLength(4)
    expect(list(root, 'images', 'cam-a')).toEqual([`${NOW - 2 * DAY}-0.jpg`])
    expect(list(root, 'images', 'cam-b')).toEqual([`${NOW - 1 * DAY}-2.jpg`])
    expect(list(root, 'thumbnails', 'cam-a')).toEqual([`${NOW - 10 * DAY}-0.jpg`])
    // a second run has nothing left to do
    expect(await applyImageRetention(root, { maxAgeDays: 30, maxImageBytes: 2500 }, NOW)).toMatchObject({ deletedByAge: 0, deletedBySize: 0, deletedBytes: 0 })
    // 0 = no limit on either axis
    expect(await applyImageRetention(root, { maxAgeDays: 0, maxImageBytes: 0 }, NOW + 1000 * DAY)).toMatchObject({ deletedByAge: 0, deletedBySize: 0, keptImages: 2 })
  })

  it('runs periodically inside ingest and reports what it deleted in the wildlife stats', async () => {
    app = await startTestApp({ vision: { enabled: false }, wildlife: { imageRetentionDays: 30, imageRetentionMaxBytes: 3000, retentionIntervalMs: 1000 } })
    const now = Date.now()
    put(app.dataDir, 'images', 'cam-yutagawa-01', now - 60 * DAY, 0, 500)
    for (let i = 0; i < 5; i++) put(app.dataDir, 'images', 'cam-yutagawa-01', now - (5 - i) * 60_000, i, 1000)
    const w = app.app.ingest!.wildlife
    await waitFor(() => w.stats.imagesDeleted >= 3 ? true : undefined, 'retention pass')
    expect(w.stats).toMatchObject({ imagesDeleted: 3, imageBytesDeleted: 2500 })
    expect(list(app.dataDir, 'images', 'cam-yutagawa-01').map(f => Number(f.split('-')[1]!.split('.')[0]))).toEqual([2, 3, 4])
  })

  it('deletes the detection rows of deleted images and unlinks a sighting from its deleted thumbnail', async () => {
    app = await startTestApp({ vision: { enabled: false }, wildlife: { imageRetentionDays: 30, imageRetentionMaxBytes: 3500, minPositiveFrames: 2 } })
    const w = app.app.ingest!.wildlife
    const cam = 'cam-haguro-01'
    const now = Date.now()
    const api = async <T>(path: string): Promise<T> => await (await apiFetch(app!.info.dashboardUrl + path)).json() as T
    // two 3-frame bursts, 20 days and 1 hour ago, with their images on disk and a thumbnail of each best frame
    const bursts = [{ id: 'old', time: now - 20 * DAY }, { id: 'new', time: now - 3_600_000 }]
    for (const b of bursts) {
      const dets: Detection[] = [0, 1, 2].map(i => ({
        cameraId: cam, burstId: b.id, time: b.time + i * 1000, frameIndex: i, frameCount: 3, positive: i !== 1, score: i !== 1 ? 0.9 : 0.01,
        label: 'macaque', via: i !== 1 ? 'whole' : 'none', boxes: [], thumbnail: i === 0 ? `thumbnails/${cam}/${b.time}-0.jpg` : null, errorCode: null
      }))
      for (const d of dets) put(app.dataDir, 'images', cam, d.time, d.frameIndex, 1000)
      put(app.dataDir, 'thumbnails', cam, b.time, 0, 100)
      await w.acceptDetections(dets)
    }
    const detections = async (): Promise<string[]> => (await api<Array<{ burstId: string, frameIndex: number }>>(`/api/wildlife/detections?cameraId=${cam}`)).map(d => `${d.burstId}/${d.frameIndex}`).sort()
    const sightings = async (): Promise<Record<string, string | null>> => Object.fromEntries((await api<Array<{ burstId: string, thumbnailUrl: string | null }>>(`/api/wildlife/sightings?cameraId=${cam}`)).map(s => [s.burstId, s.thumbnailUrl]))
    expect(await detections()).toEqual(['new/0', 'new/1', 'new/2', 'old/0', 'old/1', 'old/2'])

    // size: the 3 oldest images go over the 3500-byte budget, and the detection rows of those frames with them
    const bySize = await w.applyRetention(now)
    expect(bySize).toMatchObject({ deletedByAge: 0, deletedBySize: 3 })
    expect(await detections()).toEqual(['new/0', 'new/1', 'new/2'])
    // the sighting is the lasting record; its thumbnail is not counted in the image budget and stays
    const before = await sightings()
    expect(before.old).not.toBeNull()
    const thumb = async (url: string): Promise<number> => { const res = await apiFetch(app!.info.dashboardUrl + url); await res.arrayBuffer(); return res.status }
    expect(await thumb(before.old!)).toBe(200)

    // age, 15 days on: the old thumbnail is 35 days old and goes; the sighting stays, without a dead link
    const byAge = await w.applyRetention(now + 15 * DAY)
    expect(byAge.thumbnails).toEqual([`thumbnails/${cam}/${bursts[0]!.time}-0.jpg`])
    const after = await sightings()
    expect(Object.keys(after).sort()).toEqual(['new', 'old'])
    expect(after.old).toBeNull()
    expect(after.new).not.toBeNull()
    expect(await thumb(after.new!)).toBe(200)
  })
})
