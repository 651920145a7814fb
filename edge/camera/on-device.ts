import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { CameraDetectionMeta, DetectionFrame } from '../../codecs/camera-detection.js'
import { createVisionEngine, type EngineOptions, type VisionEngine } from '../../vision/engine.js'
import { engineOptionsFrom } from '../../vision/index.js'
import { createStaticMemory, DEFAULT_STATIC_OPTIONS, type StaticMemory } from '../../vision/static-suppression.js'

/**
 * On-device inference for cameras on metered links (`cameras[].onDeviceInference`):
 * the camera (or its gateway) runs the same engine as the ingest worker pool
 * — same decode, same model adapter, same thresholds, motion regions across
 * the burst and its own static-object memory — and publishes one small
 * detection message per burst instead of the images: every frame's verdict
 * plus a thumbnail (default 160 px) of the best positive frame.
 */
export interface OnDeviceOptions {
  engine: EngineOptions
  /** a detector box at the same place in this many bursts is static (0 = off); as vision.staticMinBursts */
  staticMinBursts?: number
  logger: Logger
}

export interface BurstFrame {
  /** the JPEG as the camera would upload it */
  jpeg: Uint8Array
  capturedAt: number
  frameIndex: number
}

export interface OnDeviceResult {
  meta: CameraDetectionMeta
  thumbnail: Buffer | null
  /** analysis time of the burst on this device, ms */
  ms: number
}

/** what the camera knows about itself, copied into the detection message */
export interface DeviceState {
  batteryV?: number | null
  /** the camera's GPS fix, WGS 84 degrees */
  location?: { lat: number, lon: number } | null
}

export interface OnDeviceDetector {
  readonly model: string
  analyseBurst(cameraId: string, burstId: string, frames: BurstFrame[], device?: DeviceState): Promise<OnDeviceResult>
  close(): Promise<void>
}

/** Engine options for a camera: the server's vision settings, with the camera's thumbnail size (`sim.camera.thumbnailSide` unless given). */
export function onDeviceEngineOptions (config: Config, thumbnailSide = config.sim.camera.thumbnailSide): EngineOptions {
  return { ...engineOptionsFrom(config), thumbnailSide }
}

export async function createOnDeviceDetector (o: OnDeviceOptions): Promise<OnDeviceDetector> {
  const log = o.logger.child({ component: 'on-device' })
  const engine: VisionEngine = await createVisionEngine(o.engine)
  const minBursts = o.staticMinBursts ?? DEFAULT_STATIC_OPTIONS.minBursts
  const statics: StaticMemory | undefined = minBursts > 0 ? createStaticMemory({ ...DEFAULT_STATIC_OPTIONS, minBursts }) : undefined
  log.info({ model: engine.modelName, thumbnailSide: o.engine.thumbnailSide }, 'on-device inference ready')
  return {
    model: engine.modelName,
    async analyseBurst (cameraId, burstId, frames, device = {}) {
      const started = performance.now()
      const metas = frames.map(f => ({ cameraId, burstId, frameIndex: f.frameIndex }))
      const outs = await engine.analyse(frames.map(f => f.jpeg), { frames: metas, statics: statics === undefined ? {} : { [cameraId]: statics.known(cameraId) } })
      const list: DetectionFrame[] = []
      let best: { frame: number, score: number, thumb: Buffer } | undefined
      for (const [i, out] of outs.entries()) {
        const f = frames[i]!
        const capturedAt = new Date(f.capturedAt).toISOString()
        if (!out.ok) {
          list.push({ frameIndex: f.frameIndex, capturedAt, positive: false, score: 0, label: '', via: 'error', bestCrop: 0, errorCode: out.code })
          continue
        }
        const a = out.analysis
        const det = a.boxes.filter(b => b.source === 'detector')
        if (statics !== undefined && (det.length > 0 || a.via === 'none')) statics.observe(cameraId, burstId, a.width, a.height, det)
        list.push({
          frameIndex: f.frameIndex,
          capturedAt,
          positive: a.positive,
          score: round(a.monkeyScore),
          label: a.label,
          via: a.via,
          bestCrop: round(Math.max(0, ...a.boxes.map(b => b.monkeyScore))),
          errorCode: null
        })
        if (a.positive && out.thumbnail !== null && (best === undefined || a.monkeyScore > best.score)) best = { frame: f.frameIndex, score: a.monkeyScore, thumb: out.thumbnail }
      }
      const meta: CameraDetectionMeta = { burstId, frameCount: frames.length, model: engine.modelName, thumbnailFrame: best?.frame ?? null, frames: list, batteryV: device.batteryV ?? null }
      if (device.location !== undefined && device.location !== null) { meta.lat = device.location.lat; meta.lon = device.location.lon }
      return { meta, thumbnail: best?.thumb ?? null, ms: performance.now() - started }
    },
    async close () { await engine.close() }
  }
}

const round = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 1e4) / 1e4
