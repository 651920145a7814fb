import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { applyImageRetention } from '../../ingest/wildlife/retention.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'

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
    expect(r).toEqual({ deletedByAge: 3, deletedBySize: 2, deletedBytes: 4100, keptImages: 2, keptImageBytes: 2000, before: NOW - 30 * DAY })
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
})
