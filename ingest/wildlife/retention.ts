import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { WildlifeRepo } from '../../store/wildlife.js'

/**
 * Retention of camera files under the data dir:
 *   images/<camera>/<captureMs>-<frame>.jpg      full frames
 *   thumbnails/<camera>/<captureMs>-<frame>.jpg  best-frame thumbnails (alerts link to them)
 * 1. age: files captured more than `maxAgeDays` ago go (images and thumbnails);
 * 2. size: while images/ holds more than `maxImageBytes`, the oldest images go.
 * Thumbnails are small and referenced by sightings, so only age removes them.
 * The capture time comes from the file name; a file whose name has none is
 * aged by its modification time. Every run returns what it removed, so the
 * rows that pointed at those files can follow (ingest/wildlife/index.ts).
 */
export interface RetentionPolicy {
  /** 0 = no age limit */
  maxAgeDays: number
  /** total bytes of images/; 0 = no size limit */
  maxImageBytes: number
}

export interface RetentionResult {
  deletedByAge: number
  deletedBySize: number
  deletedBytes: number
  /** images left, and their total size */
  keptImages: number
  keptImageBytes: number
  /** the oldest capture time deleted files had before `before` (age limit), ms; null when none */
  before: number | null
  /** the frames whose image was deleted (by age or size) */
  images: Array<{ cameraId: string, time: number, frameIndex: number }>
  /** deleted thumbnails, data-dir relative (`thumbnails/<camera>/<file>`) */
  thumbnails: string[]
}

interface FileInfo { path: string, camera: string, name: string, time: number, bytes: number }

async function listDir (root: string): Promise<FileInfo[]> {
  const out: FileInfo[] = []
  const cams = await readdir(root).catch(() => [] as string[])
  for (const cam of cams) {
    const files = await readdir(join(root, cam)).catch(() => [] as string[])
    for (const f of files) {
      const path = join(root, cam, f)
      const st = await stat(path).catch(() => undefined)
      if (st === undefined || !st.isFile()) continue
      const t = Number(f.split('-')[0])
      out.push({ path, camera: cam, name: f, time: Number.isFinite(t) && t > 0 ? t : st.mtimeMs, bytes: st.size })
    }
  }
  return out
}

export async function applyImageRetention (dataDir: string, policy: RetentionPolicy, now = Date.now()): Promise<RetentionResult> {
  const r: RetentionResult = { deletedByAge: 0, deletedBySize: 0, deletedBytes: 0, keptImages: 0, keptImageBytes: 0, before: null, images: [], thumbnails: [] }
  const frame = (f: FileInfo): void => {
    const m = /^(\d+)-(\d+)\.jpg$/.exec(f.name)
    if (m !== null) r.images.push({ cameraId: f.camera, time: Number(m[1]), frameIndex: Number(m[2]) })
  }
  const before = policy.maxAgeDays > 0 ? now - policy.maxAgeDays * 86_400_000 : null
  r.before = before
  const remove = async (f: FileInfo): Promise<boolean> => {
    try {
      await rm(f.path)
      r.deletedBytes += f.bytes
      return true
    } catch {
      return false // already gone (a second run, or the operator)
    }
  }
  let images = await listDir(join(dataDir, 'images'))
  if (before !== null) {
    for (const f of await listDir(join(dataDir, 'thumbnails'))) {
      if (f.time < before && await remove(f)) { r.deletedByAge++; r.thumbnails.push(`thumbnails/${f.camera}/${f.name}`) }
    }
    const keep: FileInfo[] = []
    for (const f of images) {
      if (f.time < before) { if (await remove(f)) { r.deletedByAge++; frame(f) } } else keep.push(f)
    }
    images = keep
  }
  let total = images.reduce((n, f) => n + f.bytes, 0)
  if (policy.maxImageBytes > 0 && total > policy.maxImageBytes) {
    images.sort((a, b) => a.time - b.time || a.path.localeCompare(b.path))
    while (images.length > 0 && total > policy.maxImageBytes) {
      const f = images.shift()!
      total -= f.bytes
      if (await remove(f)) { r.deletedBySize++; frame(f) }
    }
  }
  r.keptImages = images.length
  r.keptImageBytes = total
  return r
}

export interface RetentionPassDeps {
  dataDir: string
  wildlife: Config['wildlife']
  repo: WildlifeRepo
  stats: { imagesDeleted: number, imageBytesDeleted: number }
  log: Logger
}

/** One pass of the image retention policy, and the rows that pointed at deleted files forgotten (createWildlife). */
export async function retentionPass ({ dataDir, wildlife: w, repo, stats, log }: RetentionPassDeps, now = Date.now()): Promise<RetentionResult> {
  const r = await applyImageRetention(dataDir, { maxAgeDays: w.imageRetentionDays, maxImageBytes: w.imageRetentionMaxBytes }, now)
  if (r.before !== null) repo.pruneDetections(r.before)
  // a detection row lives as long as its image; a sighting outlives its thumbnail, without the link
  if (r.images.length > 0) repo.forgetFrames(r.images)
  if (r.thumbnails.length > 0) repo.forgetThumbnails(r.thumbnails)
  stats.imagesDeleted += r.deletedByAge + r.deletedBySize
  stats.imageBytesDeleted += r.deletedBytes
  if (r.deletedByAge + r.deletedBySize > 0) {
    log.info({ byAge: r.deletedByAge, bySize: r.deletedBySize, bytes: r.deletedBytes, keptImages: r.keptImages, keptImageBytes: r.keptImageBytes }, 'image retention: old camera files deleted')
  }
  return r
}
