import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { CameraImage, Detection, Sighting } from '../../core/types.js'
import { createAlerts, type Alerts } from '../alerts/index.js'
import type { Store } from '../store/store.js'
import { createVision, type Vision } from '../vision/index.js'
import type { VisionOutcome } from '../vision/types.js'
import { contains } from './geofence.js'
import { openWildlifeRepo, type WildlifeRepo } from './repo.js'
import { createBurstVoter } from './sightings.js'
import { applyImageRetention } from './retention.js'

export interface Wildlife {
  start(): Promise<{ detection: boolean, reason?: string | undefined }>
  /**
   * Hands a stored frame to detection. Resolves once it is queued — waiting
   * while the queue is full, which holds the MQTT ack back (back-pressure).
   */
  accept(image: CameraImage, jpeg: Buffer, frameCount: number): Promise<void>
  readonly vision: Vision
  readonly repo: WildlifeRepo
  /** hunters whose areas contain the point */
  huntersAt(lat: number, lon: number): string[]
  /** resolves when every queued frame has been analysed and voted on (tests, shutdown) */
  idle(): Promise<void>
  readonly stats: { detections: number, positives: number, failed: number, sightings: number, alerts: number, suppressed: number, imagesDeleted: number, imageBytesDeleted: number }
  /**
   * Results a camera computed itself (on-device inference, ingest/handlers/camera-detection.ts):
   * stored, voted on and alerted exactly like the worker pool's. Frames already
   * recorded are skipped (redelivery); returns how many were new.
   */
  acceptDetections(detections: Detection[]): Promise<number>
  /** one pass of the image retention policy (also run every wildlife.retentionIntervalMs) */
  applyRetention(now?: number): Promise<import('./retention.js').RetentionResult>
  close(): Promise<void>
}

export function thumbnailPath (dataDir: string, cameraId: string, time: number, frameIndex: number): string {
  return join(dataDir, 'thumbnails', cameraId, `${time}-${frameIndex}.jpg`)
}

/**
 * Wildlife rules: detection results → stored detections → k-of-n sighting per
 * burst → per-camera cooldown → one alert (ingest/alerts lifecycle) for the
 * hunters whose areas contain the camera.
 */
export function createWildlife ({ config, logger, bus, store, alerts: sharedAlerts }: { config: Config, logger: Logger, bus: EventBus, store: Store, alerts?: Alerts }): Wildlife {
  const log = logger.child({ component: 'wildlife' })
  const file = resolve(config.dataDir, config.store.file)
  const repo = openWildlifeRepo(file)
  const alerts = sharedAlerts ?? createAlerts({ file, logger, bus })
  const vision = createVision({ config, logger })
  const w = config.wildlife
  const voter = createBurstVoter({ minPositiveFrames: w.minPositiveFrames, burstTimeoutMs: w.burstTimeoutMs })
  const stats = { detections: 0, positives: 0, failed: 0, sightings: 0, alerts: 0, suppressed: 0, imagesDeleted: 0, imageBytesDeleted: 0 }
  const pending = new Set<Promise<void>>()
  /** frames of multi-frame bursts waiting for their siblings (motion needs the burst together) */
  const gathering = new Map<string, { frames: Array<{ image: CameraImage, jpeg: Uint8Array }>, frameCount: number, timer: NodeJS.Timeout, flushed: Promise<void>, flush: () => Promise<void> }>()
  let sweep: NodeJS.Timeout | undefined
  let retention: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined

  async function onOutcome (image: CameraImage, frameCount: number, out: VisionOutcome): Promise<void> {
    let thumb: string | null = null
    if (out.ok && out.thumbnail !== null) {
      const path = thumbnailPath(config.dataDir, image.cameraId, image.time, image.frameIndex)
      await mkdir(join(config.dataDir, 'thumbnails', image.cameraId), { recursive: true })
      await writeFile(path, out.thumbnail)
      thumb = `thumbnails/${image.cameraId}/${image.time}-${image.frameIndex}.jpg`
    }
    const d: Detection = {
      cameraId: image.cameraId,
      time: image.time,
      frameIndex: image.frameIndex,
      burstId: image.burstId,
      frameCount,
      positive: out.ok && out.analysis.positive,
      score: out.ok ? out.analysis.monkeyScore : 0,
      label: out.ok ? out.analysis.label : '',
      via: out.ok ? out.analysis.via : 'error',
      boxes: out.ok ? out.analysis.boxes : [],
      thumbnail: thumb,
      errorCode: out.ok ? null : out.code
    }
    if (!out.ok) {
      stats.failed++
      log.warn({ camera: d.cameraId, frame: d.frameIndex, code: out.code, err: out.message }, 'frame could not be analysed')
    }
    await record(d)
  }

  /** one frame's result (worker pool or on-device): stored, written as a time-series point, voted on */
  async function record (d: Detection): Promise<void> {
    repo.writeDetection(d, Date.now())
    stats.detections++
    if (d.positive) stats.positives++
    if (store.writeDetection !== undefined) {
      // InfluxDB backend: committed to the durable outbox now, delivered by its drainer (docs/storage.md)
      await store.writeDetection(d).catch((err: unknown) => { log.error({ err: (err as Error).message, camera: d.cameraId }, 'detection point could not be queued for the time-series database') })
    }
    bus.emit('detection', { detection: d })
    const vote = voter.add(d)
    if (vote !== null) raiseSighting(vote.cameraId, vote.burstId, vote.frames, vote.positives.length, vote.best)
  }

  function track (job: Promise<void>, cameraId: string): void {
    const p = job
      .catch((err: unknown) => { log.error({ err: (err as Error).message, camera: cameraId }, 'detection result could not be stored') })
      .finally(() => { pending.delete(p) })
    pending.add(p)
  }

  function huntersAt (lat: number, lon: number): string[] {
    const ids = new Set<string>()
    for (const a of repo.areas()) if (contains(a.shape, lat, lon)) ids.add(a.hunterId)
    return [...ids].sort()
  }

  function raiseSighting (cameraId: string, burstId: string, frames: number, positives: number, best: Detection): void {
    const camera = store.getCamera(cameraId)
    if (camera === undefined) return
    const last = repo.lastSighting(cameraId)
    const lastAlerting = last !== undefined && !last.suppressed ? last : undefined
    // cooldown on data time from the last sighting that alerted, so replays behave like live
    const suppressed = lastAlerting !== undefined && Math.abs(best.time - lastAlerting.time) < w.cooldownMs && lastAlerting.burstId !== burstId
    const s: Sighting = {
      id: randomUUID(),
      cameraId,
      burstId,
      time: best.time,
      lat: camera.lat,
      lon: camera.lon,
      frames,
      positives,
      bestScore: best.score,
      bestFrameIndex: best.frameIndex,
      label: best.label,
      thumbnail: best.thumbnail,
      alertId: null,
      suppressed,
      hunters: huntersAt(camera.lat, camera.lon)
    }
    if (!suppressed) {
      const ref = { kind: 'wildlife', subjectId: cameraId, rule: 'sighting', drill: w.drill }
      const open = alerts.findOpen(ref)
      // a troop back after the cooldown is a new event, not a refresh of the old one
      if (open !== undefined && best.time - open.lastSeenAt >= w.cooldownMs) alerts.clear(ref, { time: best.time, resolution: 'superseded' })
      const alert = alerts.raise({
        ...ref,
        severity: 'moderate',
        title: `サル出没 ${camera.name} / monkeys at ${camera.nameEn}`,
        message: `${positives} of ${frames} frames show monkeys (best score ${best.score.toFixed(2)}, ${best.label})`,
        details: {
          sightingId: s.id,
          cameraId,
          lat: camera.lat,
          lon: camera.lon,
          score: best.score,
          label: best.label,
          positives,
          frames,
          hunters: s.hunters,
          thumbnailUrl: `/api/wildlife/sightings/${s.id}/thumbnail.jpg`
        },
        time: best.time
      }, { confirmed: true })
      s.alertId = alert.id
      stats.alerts++
    } else {
      stats.suppressed++
    }
    repo.writeSighting(s)
    stats.sightings++
    log.info({ camera: cameraId, burst: burstId, positives, frames, score: best.score, suppressed, hunters: s.hunters.length }, suppressed ? 'sighting within cooldown: no new alert' : 'monkey sighting: alert raised')
    bus.emit('sighting', { sighting: s })
  }

  async function applyRetention (now = Date.now()): Promise<import('./retention.js').RetentionResult> {
    const r = await applyImageRetention(config.dataDir, { maxAgeDays: w.imageRetentionDays, maxImageBytes: w.imageRetentionMaxBytes }, now)
    if (r.before !== null) repo.pruneDetections(r.before)
    stats.imagesDeleted += r.deletedByAge + r.deletedBySize
    stats.imageBytesDeleted += r.deletedBytes
    if (r.deletedByAge + r.deletedBySize > 0) {
      log.info({ byAge: r.deletedByAge, bySize: r.deletedBySize, bytes: r.deletedBytes, keptImages: r.keptImages, keptImageBytes: r.keptImageBytes }, 'image retention: old camera files deleted')
    }
    return r
  }

  return {
    vision,
    repo,
    stats,
    huntersAt,
    applyRetention,
    async acceptDetections (detections) {
      let n = 0
      for (const d of detections) {
        if (repo.hasDetection(d.cameraId, d.time, d.frameIndex)) continue
        await record(d)
        n++
      }
      return n
    },
    async start () {
      const r = await vision.start()
      sweep = setInterval(() => { voter.sweep() }, Math.min(w.burstTimeoutMs, 60_000))
      sweep.unref()
      retention = setInterval(() => { applyRetention().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'retention failed') }) }, w.retentionIntervalMs)
      retention.unref()
      void applyRetention().catch(() => undefined)
      return { detection: r.enabled, reason: r.reason }
    },
    async accept (image, jpeg, frameCount) {
      if (!vision.enabled) return
      // a redelivered frame that was already analysed is not analysed twice
      if (repo.hasDetection(image.cameraId, image.time, image.frameIndex)) return
      // an exact copy the worker takes over (transferred, not cloned): the MQTT payload may be a view into a larger buffer
      const bytes = new Uint8Array(jpeg)
      const frame = { cameraId: image.cameraId, burstId: image.burstId, frameIndex: image.frameIndex }
      if (frameCount <= 1 || w.burstGatherMs === 0) {
        await vision.whenAccepting()
        track(vision.submit(bytes, { frame, transfer: true }).then(async out => { await onOutcome(image, frameCount, out) }), image.cameraId)
        return
      }
      // a multi-frame burst is analysed as one job once all its frames are here, or burstGatherMs after the first
      const key = `${image.cameraId}\n${image.burstId}`
      let g = gathering.get(key)
      if (g === undefined) {
        let flushed!: () => void
        const entry = {
          frames: [] as Array<{ image: CameraImage, jpeg: Uint8Array }>,
          frameCount,
          flushed: new Promise<void>(resolve => { flushed = resolve }),
          timer: setTimeout(() => { void entry.flush() }, w.burstGatherMs),
          flush: async () => {
            if (gathering.get(key) !== entry) return
            gathering.delete(key)
            clearTimeout(entry.timer)
            const frames = entry.frames.sort((a, b) => a.image.frameIndex - b.image.frameIndex)
            try {
              await vision.whenAccepting()
              track(vision.submitBurst(frames.map(f => ({ bytes: f.jpeg, transfer: true, frame: { cameraId: f.image.cameraId, burstId: f.image.burstId, frameIndex: f.image.frameIndex } })))
                .then(async outs => { for (const [i, out] of outs.entries()) await onOutcome(frames[i]!.image, entry.frameCount, out) }), image.cameraId)
            } finally {
              flushed()
            }
          }
        }
        entry.timer.unref()
        g = entry
        gathering.set(key, g)
      }
      if (g.frames.some(f => f.image.frameIndex === image.frameIndex)) return
      g.frames.push({ image, jpeg: bytes })
      // the last frame's ack waits for room in the queue (back-pressure), as a lone frame's does
      if (g.frames.length >= g.frameCount) await g.flush()
    },
    async idle () {
      while (pending.size > 0 || gathering.size > 0) await Promise.all([...pending, ...[...gathering.values()].map(async g => { await g.flushed })])
    },
    async close () {
      closing ??= (async () => {
        clearInterval(sweep)
        clearInterval(retention)
        // bursts still gathering are analysed now, not dropped
        await Promise.all([...gathering.values()].map(async g => { await g.flush() }))
        await vision.close()
        while (pending.size > 0) await Promise.all([...pending])
        if (sharedAlerts === undefined) await alerts.close()
        repo.close()
      })()
      return await closing
    }
  }
}
