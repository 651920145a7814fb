import type { CameraImage } from '../../core/types.js'
import type { Reservation } from '../../vision/index.js'

/** a stored frame on its way to the pool, holding its place in the bounded queue */
export interface Frame { image: CameraImage, bytes: Uint8Array, place: Reservation }

interface Gathering { frames: Frame[], frameCount: number, timer: NodeJS.Timeout, flushed: Promise<void>, flush: () => void }

export interface BurstGatherer {
  /** a frame of this burst with this index is already waiting */
  has(image: CameraImage): boolean
  /** adds a frame; the burst goes to `analyse` once all its frames are here, or `gatherMs` after the first */
  add(frame: Frame, frameCount: number): void
  /** bursts still gathering are analysed now, not dropped (shutdown) */
  flushAll(): void
  /** resolves when every burst gathering now has been handed on */
  flushed(): Promise<void>
  readonly size: number
}

const keyOf = (image: CameraImage): string => `${image.cameraId}\n${image.burstId}`

/**
 * Frames of multi-frame bursts waiting for their siblings: motion needs the burst together,
 * so a burst is analysed as one job. Each waiting frame holds its queue place.
 */
export function createBurstGatherer ({ gatherMs, analyse }: { gatherMs: number, analyse: (frames: Frame[], frameCount: number) => void }): BurstGatherer {
  const gathering = new Map<string, Gathering>()

  function open (key: string, frameCount: number): Gathering {
    let flushed!: () => void
    const entry: Gathering = {
      frames: [],
      frameCount,
      flushed: new Promise<void>(resolve => { flushed = resolve }),
      timer: setTimeout(() => { entry.flush() }, gatherMs),
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
    gathering.set(key, entry)
    return entry
  }

  return {
    has: image => gathering.get(keyOf(image))?.frames.some(f => f.image.frameIndex === image.frameIndex) === true,
    add (frame, frameCount) {
      const key = keyOf(frame.image)
      const g = gathering.get(key) ?? open(key, frameCount)
      g.frames.push(frame)
      if (g.frames.length >= g.frameCount) g.flush()
    },
    flushAll () {
      for (const g of [...gathering.values()]) g.flush()
    },
    async flushed () {
      await Promise.all([...gathering.values()].map(async g => { await g.flushed }))
    },
    get size () { return gathering.size }
  }
}
