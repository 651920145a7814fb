import type { Detection } from '../../core/types.js'
import type { WildlifeRepo } from '../../store/wildlife.js'
import type { BurstVote } from './sightings.js'

/**
 * The same k-of-n vote over the burst's stored frames: in cluster mode the frames of one burst
 * are spread over ingest workers, so this worker's voter may never see k of them. The sighting
 * table is unique per (camera, burst), so two workers deciding together still make one sighting.
 */
export function voteOverStoredFrames (repo: WildlifeRepo, d: Detection, minPositiveFrames: number): BurstVote | null {
  const frames = repo.burstDetections(d.cameraId, d.burstId)
  const positives = frames.filter(f => f.positive)
  if (positives.length < Math.min(minPositiveFrames, Math.max(1, d.frameCount))) return null
  const best = positives.reduce((x, y) => (y.score > x.score ? y : x))
  return { cameraId: d.cameraId, burstId: d.burstId, frames: Math.max(1, d.frameCount), positives, best }
}
