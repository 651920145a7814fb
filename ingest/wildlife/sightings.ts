import type { Detection } from '../../core/types.js'

export interface VoteOptions {
  /** k: positive frames needed (capped at the burst's frame count) */
  minPositiveFrames: number
  /** a burst whose frames stop arriving is forgotten after this, ms */
  burstTimeoutMs: number
}

export interface BurstVote {
  cameraId: string
  burstId: string
  frames: number
  positives: Detection[]
  best: Detection
}

/**
 * k-of-n voting per burst: a burst becomes a sighting the moment its k-th
 * positive frame arrives (frames may arrive in any order, or twice), and only
 * once. Single false positives (a stump in one frame) never reach a hunter.
 */
export function createBurstVoter (o: VoteOptions) {
  const bursts = new Map<string, { frameCount: number, seen: Set<number>, positives: Detection[], decided: boolean, touched: number }>()
  return {
    /** returns the vote when this frame completes a sighting, else null */
    add (d: Detection, now = Date.now()): BurstVote | null {
      const key = `${d.cameraId}\n${d.burstId}`
      let b = bursts.get(key)
      if (b === undefined) {
        b = { frameCount: Math.max(1, d.frameCount), seen: new Set(), positives: [], decided: false, touched: now }
        bursts.set(key, b)
      }
      b.touched = now
      if (b.seen.has(d.frameIndex)) return null
      b.seen.add(d.frameIndex)
      if (d.positive) b.positives.push(d)
      const k = Math.min(o.minPositiveFrames, b.frameCount)
      let vote: BurstVote | null = null
      if (!b.decided && b.positives.length >= k) {
        b.decided = true
        const best = b.positives.reduce((x, y) => (y.score > x.score ? y : x))
        vote = { cameraId: d.cameraId, burstId: d.burstId, frames: b.frameCount, positives: [...b.positives], best }
      }
      if (b.seen.size >= b.frameCount) bursts.delete(key)
      return vote
    },
    /** forgets bursts that stopped arriving */
    sweep (now = Date.now()): number {
      let n = 0
      for (const [k, b] of bursts) if (now - b.touched > o.burstTimeoutMs) { bursts.delete(k); n++ }
      return n
    },
    get open () { return bursts.size }
  }
}
