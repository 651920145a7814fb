import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CameraImage, Detection } from '../../core/types.js'
import type { VisionOutcome } from '../../vision/types.js'
import type { EventBus } from '../../core/bus.js'
import type { Logger } from '../../core/logger.js'
import type { Store } from '../../store/store.js'
import type { WildlifeRepo } from '../../store/wildlife.js'
import type { BurstVote } from './sightings.js'

export function thumbnailPath (dataDir: string, cameraId: string, time: number, frameIndex: number): string {
  return join(dataDir, 'thumbnails', cameraId, `${time}-${frameIndex}.jpg`)
}

/** the pool's result for one frame as a detection row; its thumbnail, if any, written beside the images */
export async function detectionOf (dataDir: string, image: CameraImage, frameCount: number, out: VisionOutcome): Promise<Detection> {
  let thumb: string | null = null
  if (out.ok && out.thumbnail !== null) {
    const path = thumbnailPath(dataDir, image.cameraId, image.time, image.frameIndex)
    await mkdir(join(dataDir, 'thumbnails', image.cameraId), { recursive: true })
    await writeFile(path, out.thumbnail)
    thumb = `thumbnails/${image.cameraId}/${image.time}-${image.frameIndex}.jpg`
  }
  return {
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
}

export interface DetectionRecorderDeps {
  dataDir: string
  repo: WildlifeRepo
  store: Store
  bus: EventBus
  log: Logger
  stats: { detections: number, positives: number, failed: number }
  /** the burst's vote once this frame decides it */
  vote: (d: Detection) => BurstVote | null
  raiseSighting: (vote: BurstVote) => void
}

export interface DetectionRecorder {
  /** one frame's result (worker pool or on-device): stored, written as a time-series point, voted on */
  record(d: Detection): Promise<void>
  /** the pool's outcome for one frame, recorded (a failed analysis is recorded too, as an error row) */
  onOutcome(image: CameraImage, frameCount: number, out: VisionOutcome): Promise<void>
  /** results a camera computed itself: the frames not recorded yet (redelivery); how many were new */
  recordNew(detections: Detection[]): Promise<number>
}

export function createDetectionRecorder ({ dataDir, repo, store, bus, log, stats, vote, raiseSighting }: DetectionRecorderDeps): DetectionRecorder {
  async function record (d: Detection): Promise<void> {
    repo.writeDetection(d, Date.now())
    stats.detections++
    if (d.positive) stats.positives++
    if (store.writeDetection !== undefined) {
      // InfluxDB backend: committed to the durable outbox now, delivered by its drainer (docs/storage.md)
      await store.writeDetection(d).catch((err: unknown) => { log.error({ err: (err as Error).message, camera: d.cameraId }, 'detection point could not be queued for the time-series database') })
    }
    bus.emit('detection', { detection: d })
    const v = vote(d)
    if (v !== null) raiseSighting(v)
  }
  return {
    record,
    async recordNew (detections) {
      let n = 0
      for (const d of detections) {
        if (repo.hasDetection(d.cameraId, d.time, d.frameIndex)) continue
        await record(d)
        n++
      }
      return n
    },
    async onOutcome (image, frameCount, out) {
      const d = await detectionOf(dataDir, image, frameCount, out)
      if (!out.ok) {
        stats.failed++
        log.warn({ camera: d.cameraId, frame: d.frameIndex, code: out.code, err: out.message }, 'frame could not be analysed')
      }
      await record(d)
    }
  }
}
