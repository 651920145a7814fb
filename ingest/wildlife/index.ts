import { randomUUID } from 'node:crypto'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
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
  readonly stats: { detections: number, positives: number, failed: number, sightings: number, alerts: number, suppressed: number }
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
  const stats = { detections: 0, positives: 0, failed: 0, sightings: 0, alerts: 0, suppressed: 0 }
  const pending = new Set<Promise<void>>()
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
    repo.writeDetection(d, Date.now())
    stats.detections++
    if (d.positive) stats.positives++
    if (!out.ok) {
      stats.failed++
      log.warn({ camera: d.cameraId, frame: d.frameIndex, code: out.code, err: out.message }, 'frame could not be analysed')
    }
    bus.emit('detection', { detection: d })
    const vote = voter.add(d)
    if (vote !== null) raiseSighting(vote.cameraId, vote.burstId, vote.frames, vote.positives.length, vote.best)
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

  async function applyRetention (): Promise<void> {
    const days = w.imageRetentionDays
    if (days <= 0) return
    const before = Date.now() - days * 86_400_000
    for (const dir of ['images', 'thumbnails']) {
      const root = join(config.dataDir, dir)
      const cams = await readdir(root).catch(() => [] as string[])
      for (const cam of cams) {
        const files = await readdir(join(root, cam)).catch(() => [] as string[])
        for (const f of files) {
          const t = Number(f.split('-')[0])
          if (Number.isFinite(t) && t < before) await rm(join(root, cam, f), { force: true })
        }
      }
    }
    repo.pruneDetections(before)
  }

  return {
    vision,
    repo,
    stats,
    huntersAt,
    async start () {
      const r = await vision.start()
      sweep = setInterval(() => { voter.sweep() }, Math.min(w.burstTimeoutMs, 60_000))
      sweep.unref()
      retention = setInterval(() => { applyRetention().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'retention failed') }) }, 3_600_000)
      retention.unref()
      void applyRetention().catch(() => undefined)
      return { detection: r.enabled, reason: r.reason }
    },
    async accept (image, jpeg, frameCount) {
      if (!vision.enabled) return
      // a redelivered frame that was already analysed is not analysed twice
      if (repo.hasDetection(image.cameraId, image.time, image.frameIndex)) return
      await vision.whenAccepting()
      // an exact copy: the MQTT payload may be a view into a larger buffer, and the worker gets a clone
      const job = vision.submit(new Uint8Array(jpeg))
        .then(async out => { await onOutcome(image, frameCount, out) })
        .catch((err: unknown) => { log.error({ err: (err as Error).message, camera: image.cameraId }, 'detection result could not be stored') })
        .finally(() => { pending.delete(job) })
      pending.add(job)
    },
    async idle () {
      while (pending.size > 0) await Promise.all([...pending])
    },
    async close () {
      closing ??= (async () => {
        clearInterval(sweep)
        clearInterval(retention)
        await vision.close()
        while (pending.size > 0) await Promise.all([...pending])
        if (sharedAlerts === undefined) await alerts.close()
        repo.close()
      })()
      return await closing
    }
  }
}
