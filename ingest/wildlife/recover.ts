import { readFile } from 'node:fs/promises'
import type { Logger } from '../../core/logger.js'
import type { CameraImage, Detection } from '../../core/types.js'
import type { Config } from '../../core/config/schema.js'
import { imagePath } from '../../store/images.js'
import type { WildlifeRepo } from '../../store/wildlife.js'
import type { Vision } from '../../vision/index.js'
import type { Frame } from './gather.js'

export interface RecoverDeps {
  dataDir: string
  wildlife: Config['wildlife']
  repo: WildlifeRepo
  vision: Vision
  cameraIds: () => string[]
  log: Logger
  /** a burst's frames analysed before the crash count in its vote again */
  revote: (d: Detection) => void
  analyse: (frames: Frame[], frameCount: number) => void
  closing: () => boolean
}

/**
 * Frames stored but never analysed (acked, then lost from the in-memory queue in a crash),
 * received within recoverMaxAgeMs, at most recoverMaxImages: queued again burst by burst.
 * Resolves with how many were queued.
 */
export async function recoverUnanalysed ({ dataDir, wildlife: w, repo, vision, cameraIds, log, revote, analyse, closing }: RecoverDeps): Promise<number> {
  if (!vision.enabled || w.recoverMaxAgeMs === 0 || w.recoverMaxImages === 0) return 0
  const rows = repo.unanalysedImages(cameraIds(), Date.now() - w.recoverMaxAgeMs, w.recoverMaxImages)
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
    for (const d of repo.burstDetections(cameraId, burstId)) revote({ ...d, frameCount: burstFrames })
    const frames: Frame[] = []
    for (const r of group) {
      if (closing()) break
      const bytes = await readFile(imagePath(dataDir, r.cameraId, r.time, r.frameIndex)).catch(() => undefined)
      if (bytes === undefined) continue // deleted by retention meanwhile
      const image: CameraImage = { cameraId: r.cameraId, time: r.time, receivedAt: r.receivedAt, bytes: r.bytes, width: r.width, height: r.height, burstId: r.burstId, frameIndex: r.frameIndex, batteryV: r.batteryV }
      frames.push({ image, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), place: await vision.reserve() })
    }
    if (frames.length === 0) continue
    analyse(frames, burstFrames)
    n += frames.length
  }
  return n
}
