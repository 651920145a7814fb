import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { CameraImage, Detection } from '../../core/types.js'
import type { Alerts } from '../../alerts/index.js'
import type { Store } from '../../store/store.js'
import { createVision, type Vision } from '../../vision/index.js'
import { openWildlifeRepo, type WildlifeRepo } from '../../store/wildlife.js'
import { seedHunters } from './seed.js'
import { STATUS_FILE, type WildlifeStatus } from '../../core/wildlife-status.js'
import { createBurstVoter, type BurstVote } from './sightings.js'
import { retentionPass, type RetentionResult } from './retention.js'
import { createSightingRaiser } from './raise.js'
import { voteOverStoredFrames } from './vote.js'
import { createBurstGatherer, type Frame } from './gather.js'
import { createDetectionRecorder } from './outcome.js'
import { recoverUnanalysed } from './recover.js'

export { STATUS_FILE, type WildlifeStatus } from '../../core/wildlife-status.js'

export interface Wildlife {
  start(): Promise<{ detection: boolean, reason?: string | undefined }>
  readonly status: WildlifeStatus
  /**
   * Hands a stored frame to detection. Resolves once it holds a place in the
   * bounded queue (frames gathering for their burst hold one too) — waiting
   * while the queue is full, which holds the MQTT ack back (back-pressure).
   */
  accept(image: CameraImage, jpeg: Buffer, frameCount: number): Promise<void>
  /**
   * Frames stored but never analysed (acked, then lost from the in-memory
   * queue in a crash): received within wildlife.recoverMaxAgeMs, at most
   * wildlife.recoverMaxImages, queued again. Run once by start(); resolves
   * with how many were queued.
   */
  recover(): Promise<number>
  /** the start-up recovery pass (resolves with its count) */
  readonly recovered: Promise<number>
  readonly vision: Vision
  readonly repo: WildlifeRepo
  /** hunters whose areas contain the point */
  huntersAt(lat: number, lon: number): string[]
  /** resolves when every queued frame has been analysed and voted on (tests, shutdown) */
  idle(): Promise<void>
  readonly stats: { detections: number, positives: number, failed: number, sightings: number, alerts: number, suppressed: number, imagesDeleted: number, imageBytesDeleted: number, recovered: number }
  /**
   * Results a camera computed itself (on-device inference, ingest/handlers/camera-detection.ts):
   * stored, voted on and alerted exactly like the worker pool's. Frames already
   * recorded are skipped (redelivery); returns how many were new.
   */
  acceptDetections(detections: Detection[]): Promise<number>
  /** one pass of the image retention policy (also run every wildlife.retentionIntervalMs) */
  applyRetention(now?: number): Promise<RetentionResult>
  close(): Promise<void>
}

export { thumbnailPath } from './outcome.js'

async function writeStatus (dataDir: string, status: WildlifeStatus): Promise<void> {
  await mkdir(dataDir, { recursive: true })
  await writeFile(join(dataDir, STATUS_FILE), JSON.stringify(status) + '\n')
}

/**
 * Wildlife rules: detection results → stored detections → k-of-n sighting per
 * burst → per-camera cooldown → one alert (alerts lifecycle) for the
 * hunters whose areas contain the camera.
 */
export function createWildlife ({ config, logger, bus, store, alerts }: { config: Config, logger: Logger, bus: EventBus, store: Store, alerts: Alerts }): Wildlife {
  const log = logger.child({ component: 'wildlife' })
  const file = resolve(config.dataDir, config.store.file)
  const repo = openWildlifeRepo(file)
  const vision = createVision({ config, logger })
  const w = config.wildlife
  const voter = createBurstVoter({ minPositiveFrames: w.minPositiveFrames, burstTimeoutMs: w.burstTimeoutMs })
  const stats = { detections: 0, positives: 0, failed: 0, sightings: 0, alerts: 0, suppressed: 0, imagesDeleted: 0, imageBytesDeleted: 0, recovered: 0 }
  const pending = new Set<Promise<void>>()
  const status: WildlifeStatus = { detection: false, reason: 'not started', model: null, adapter: config.vision.adapter === '' ? 'built-in' : config.vision.adapter, since: new Date().toISOString() }
  let recovered: Promise<number> = Promise.resolve(0)
  let sweep: NodeJS.Timeout | undefined
  let retention: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined

  function track (job: Promise<void>, cameraId: string): void {
    const p = job
      .catch((err: unknown) => { log.error({ err: (err as Error).message, camera: cameraId }, 'detection result could not be stored') })
      .finally(() => { pending.delete(p) })
    pending.add(p)
  }

  const { raiseSighting, huntersAt } = createSightingRaiser({ config, logger: log, bus, store, alerts, repo, stats })
  const raise = (v: BurstVote): void => { raiseSighting(v.cameraId, v.burstId, v.frames, v.positives.length, v.best) }
  const { recordNew, onOutcome } = createDetectionRecorder({
    dataDir: config.dataDir, repo, store, bus, log, stats, raiseSighting: raise, vote: d => voter.add(d) ?? (d.positive ? voteOverStoredFrames(repo, d, w.minPositiveFrames) : null)
  })
  const applyRetention = async (now = Date.now()): Promise<RetentionResult> => await retentionPass({ dataDir: config.dataDir, wildlife: w, repo, stats, log }, now)

  /** frames that hold their places go to the pool (never refused: the places are theirs) */
  function analyse (frames: Frame[], frameCount: number): void {
    const cameraId = frames[0]!.image.cameraId
    const meta = (f: Frame) => ({ cameraId: f.image.cameraId, burstId: f.image.burstId, frameIndex: f.image.frameIndex })
    if (frames.length === 1) {
      const f = frames[0]!
      track(vision.submit(f.bytes, { frame: meta(f), transfer: true, reservation: f.place }).then(async out => { await onOutcome(f.image, frameCount, out) }), cameraId)
      return
    }
    track(vision.submitBurst(frames.map(f => ({ bytes: f.bytes, transfer: true, frame: meta(f), reservation: f.place })))
      .then(async outs => { for (const [i, out] of outs.entries()) await onOutcome(frames[i]!.image, frameCount, out) }), cameraId)
  }

  const gatherer = createBurstGatherer({ gatherMs: w.burstGatherMs, analyse })
  const recover = async (): Promise<number> => await recoverUnanalysed({
    dataDir: config.dataDir,
    wildlife: w,
    repo,
    vision,
    cameraIds: () => store.listCameras().map(c => c.id),
    log,
    revote: d => {
      const vote = voter.add(d)
      if (vote !== null) raise(vote)
    },
    analyse: (frames, frameCount) => { analyse(frames, frameCount); stats.recovered += frames.length },
    closing: () => closing !== undefined
  })

  return {
    vision,
    repo,
    get status () { return status },
    get recovered () { return recovered },
    recover,
    stats,
    huntersAt,
    applyRetention,
    acceptDetections: recordNew,
    async start () {
      seedHunters(repo, config.hunters, log)
      const r = await vision.start()
      Object.assign(status, { detection: r.enabled, reason: r.reason ?? null, model: r.model ?? null, since: new Date().toISOString() })
      await writeStatus(config.dataDir, status).catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'wildlife status file not written') })
      recovered = recover().catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'MIMAMORI_ERR_CLOSED') log.error({ err: (err as Error).message }, 'recovery of unanalysed frames failed')
        return 0
      })
      sweep = setInterval(() => { voter.sweep() }, Math.min(w.burstTimeoutMs, 60_000)).unref()
      retention = setInterval(() => { applyRetention().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'retention failed') }) }, w.retentionIntervalMs).unref()
      void applyRetention().catch(() => undefined)
      return { detection: r.enabled, reason: r.reason }
    },
    async accept (image, jpeg, frameCount) {
      if (!vision.enabled) return
      // a redelivered frame that was already analysed is not analysed twice
      if (repo.hasDetection(image.cameraId, image.time, image.frameIndex)) return
      if (gatherer.has(image)) return
      // the ack waits here while the queue (gathering frames included) is full: back-pressure on the broker
      const place = await vision.reserve()
      // an exact copy the worker takes over (transferred, not cloned): the MQTT payload may be a view into a larger buffer
      const frame: Frame = { image, bytes: new Uint8Array(jpeg), place }
      if (frameCount <= 1 || w.burstGatherMs === 0) {
        analyse([frame], frameCount)
        return
      }
      if (gatherer.has(image)) { place.release(); return }
      // a multi-frame burst is analysed as one job once all its frames are here, or burstGatherMs after the first
      gatherer.add(frame, frameCount)
    },
    async idle () {
      while (pending.size > 0 || gatherer.size > 0) await Promise.all([...pending, gatherer.flushed()])
    },
    async close () {
      closing ??= (async () => {
        clearInterval(sweep)
        clearInterval(retention)
        // bursts still gathering are analysed now, not dropped
        gatherer.flushAll()
        await vision.close()
        await recovered
        while (pending.size > 0) await Promise.all([...pending])
        repo.close()
      })()
      return await closing
    }
  }
}
