import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { CameraImage, Detection } from '../../core/types.js'
import type { Alerts } from '../../alerts/index.js'
import type { Store } from '../../store/store.js'
import { imagePath } from '../../store/images.js'
import { createVision, type Reservation, type Vision } from '../../vision/index.js'
import type { VisionOutcome } from '../../vision/types.js'
import { openWildlifeRepo, type WildlifeRepo } from '../../store/wildlife.js'
import { seedHunters } from './seed.js'
import { STATUS_FILE, type WildlifeStatus } from '../../core/wildlife-status.js'
import { createBurstVoter, type BurstVote } from './sightings.js'
import { retentionPass, type RetentionResult } from './retention.js'
import { createSightingRaiser } from './raise.js'
import { voteOverStoredFrames } from './vote.js'

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

export function thumbnailPath (dataDir: string, cameraId: string, time: number, frameIndex: number): string {
  return join(dataDir, 'thumbnails', cameraId, `${time}-${frameIndex}.jpg`)
}

interface Frame { image: CameraImage, bytes: Uint8Array, place: Reservation }

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
  /** frames of multi-frame bursts waiting for their siblings (motion needs the burst together); each holds its queue place */
  const gathering = new Map<string, { frames: Frame[], frameCount: number, timer: NodeJS.Timeout, flushed: Promise<void>, flush: () => void }>()
  const status: WildlifeStatus = { detection: false, reason: 'not started', model: null, adapter: config.vision.adapter === '' ? 'built-in' : config.vision.adapter, since: new Date().toISOString() }
  let recovered: Promise<number> = Promise.resolve(0)
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
    const vote = voter.add(d) ?? (d.positive ? voteFromStore(d) : null)
    if (vote !== null) raiseSighting(vote.cameraId, vote.burstId, vote.frames, vote.positives.length, vote.best)
  }

  function track (job: Promise<void>, cameraId: string): void {
    const p = job
      .catch((err: unknown) => { log.error({ err: (err as Error).message, camera: cameraId }, 'detection result could not be stored') })
      .finally(() => { pending.delete(p) })
    pending.add(p)
  }

  const { raiseSighting, huntersAt } = createSightingRaiser({ config, logger: log, bus, store, alerts, repo, stats })
  const voteFromStore = (d: Detection): BurstVote | null => voteOverStoredFrames(repo, d, w.minPositiveFrames)
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

  async function recover (): Promise<number> {
    if (!vision.enabled || w.recoverMaxAgeMs === 0 || w.recoverMaxImages === 0) return 0
    const rows = repo.unanalysedImages(store.listCameras().map(c => c.id), Date.now() - w.recoverMaxAgeMs, w.recoverMaxImages)
    if (rows.length === 0) return 0
    log.warn({ frames: rows.length, maxAgeMs: w.recoverMaxAgeMs, maxImages: w.recoverMaxImages }, 'stored frames that were never analysed (crash after the ack): analysing them now')
    const bursts = new Map<string, typeof rows>()
    for (const r of rows) {
      const key = `${r.cameraId}\n${r.burstId}`
      const group = bursts.get(key)
      if (group === undefined) bursts.set(key, [r])
      else group.push(r)
    }
    let n = 0
    for (const group of bursts.values()) {
      const { cameraId, burstId, burstFrames } = group[0]!
      // the burst's frames analysed before the crash count in its vote again
      for (const d of repo.burstDetections(cameraId, burstId)) {
        const vote = voter.add({ ...d, frameCount: burstFrames })
        if (vote !== null) raiseSighting(vote.cameraId, vote.burstId, vote.frames, vote.positives.length, vote.best)
      }
      const frames: Frame[] = []
      for (const r of group) {
        if (closing !== undefined) break
        const bytes = await readFile(imagePath(config.dataDir, r.cameraId, r.time, r.frameIndex)).catch(() => undefined)
        if (bytes === undefined) continue // deleted by retention meanwhile
        const image: CameraImage = { cameraId: r.cameraId, time: r.time, receivedAt: r.receivedAt, bytes: r.bytes, width: r.width, height: r.height, burstId: r.burstId, frameIndex: r.frameIndex, batteryV: r.batteryV }
        frames.push({ image, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), place: await vision.reserve() })
      }
      if (frames.length === 0) continue
      analyse(frames, burstFrames)
      n += frames.length
      stats.recovered += frames.length
    }
    return n
  }

  async function writeStatus (): Promise<void> {
    await mkdir(config.dataDir, { recursive: true })
    await writeFile(join(config.dataDir, STATUS_FILE), JSON.stringify(status) + '\n')
  }

  return {
    vision,
    repo,
    get status () { return status },
    get recovered () { return recovered },
    recover,
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
      seedHunters(repo, config.hunters, log)
      const r = await vision.start()
      Object.assign(status, { detection: r.enabled, reason: r.reason ?? null, model: r.model ?? null, since: new Date().toISOString() })
      await writeStatus().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'wildlife status file not written') })
      recovered = recover().catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'MIMAMORI_ERR_CLOSED') log.error({ err: (err as Error).message }, 'recovery of unanalysed frames failed')
        return 0
      })
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
      const key = `${image.cameraId}\n${image.burstId}`
      const has = (): boolean => gathering.get(key)?.frames.some(f => f.image.frameIndex === image.frameIndex) === true
      if (has()) return
      // the ack waits here while the queue (gathering frames included) is full: back-pressure on the broker
      const place = await vision.reserve()
      // an exact copy the worker takes over (transferred, not cloned): the MQTT payload may be a view into a larger buffer
      const frame: Frame = { image, bytes: new Uint8Array(jpeg), place }
      if (frameCount <= 1 || w.burstGatherMs === 0) {
        analyse([frame], frameCount)
        return
      }
      if (has()) { place.release(); return }
      // a multi-frame burst is analysed as one job once all its frames are here, or burstGatherMs after the first
      let g = gathering.get(key)
      if (g === undefined) {
        let flushed!: () => void
        const entry = {
          frames: [] as Frame[],
          frameCount,
          flushed: new Promise<void>(resolve => { flushed = resolve }),
          timer: setTimeout(() => { entry.flush() }, w.burstGatherMs),
          flush: () => {
            if (gathering.get(key) !== entry) return
            gathering.delete(key)
            clearTimeout(entry.timer)
            try {
              analyse(entry.frames.sort((a, b) => a.image.frameIndex - b.image.frameIndex), entry.frameCount)
            } finally {
              flushed()
            }
          }
        }
        entry.timer.unref()
        g = entry
        gathering.set(key, g)
      }
      g.frames.push(frame)
      if (g.frames.length >= g.frameCount) g.flush()
    },
    async idle () {
      while (pending.size > 0 || gathering.size > 0) await Promise.all([...pending, ...[...gathering.values()].map(async g => { await g.flushed })])
    },
    async close () {
      closing ??= (async () => {
        clearInterval(sweep)
        clearInterval(retention)
        // bursts still gathering are analysed now, not dropped
        for (const g of [...gathering.values()]) g.flush()
        await vision.close()
        await recovered
        while (pending.size > 0) await Promise.all([...pending])
        repo.close()
      })()
      return await closing
    }
  }
}
