/**
 * Per-camera suppression of static objects. A fixed camera sees the same stump,
 * rock or post in every frame, and the detector calls it an animal every time
 * (the Serengeti vervet camera's stump is a "giraffe" at det 0.02–0.27 in every
 * frame, and its crop scores up to 0.20 monkey mass). Boxes that recur at the
 * same place (IoU ≥ 0.5) in most of a camera's bursts are remembered; once a
 * box is static its crop is no longer classified — unless motion in the same
 * burst overlaps it (an animal on the stump), which the caller checks.
 *
 * Positions are kept as fractions of the frame, so a camera that changes its
 * upload resolution keeps its memory. The memory lives in the main thread
 * (bursts of one camera go to any worker) and is sent with each job.
 */

import type { NormBox } from './types.js'
import { iou } from './boxes.js'

export type { NormBox } from './types.js'

export interface StaticOptions {
  /** IoU with a remembered box that counts as "the same place" */
  iou: number
  /** bursts a box must have been seen in before it is static; 0 = suppression off */
  minBursts: number
  /** …and the share of the camera's observed bursts it was seen in */
  minRate: number
  /** remembered places per camera (the least seen are forgotten first) */
  maxPerCamera: number
}

export const DEFAULT_STATIC_OPTIONS: StaticOptions = { iou: 0.5, minBursts: 3, minRate: 0.6, maxPerCamera: 32 }

interface Entry extends NormBox {
  /** bursts this place was seen in */
  seen: number
  /** bursts observed on this camera since the place was first seen, in which it was absent */
  missed: number
  lastBurst: string
}

export interface StaticMemory {
  /** the places that count as static on this camera now */
  known(cameraId: string): NormBox[]
  /**
   * Records the detector boxes of one analysed frame (boxes in pixels of a
   * width × height frame). Frames of one burst count once per place.
   */
  observe(cameraId: string, burstId: string, width: number, height: number, boxes: Array<{ x0: number, y0: number, x1: number, y1: number }>): void
  /** how many places are remembered per camera (diagnostics) */
  size(cameraId: string): number
}

export function normBox (b: { x0: number, y0: number, x1: number, y1: number }, width: number, height: number): NormBox {
  return { x0: b.x0 / width, y0: b.y0 / height, x1: b.x1 / width, y1: b.y1 / height }
}


/** true when the box (in frame fractions) sits on a remembered static place */
export function isStatic (box: NormBox, statics: readonly NormBox[], iouMin = DEFAULT_STATIC_OPTIONS.iou): boolean {
  return statics.some(s => iou(s, box) >= iouMin)
}

export function createStaticMemory (o: StaticOptions = DEFAULT_STATIC_OPTIONS): StaticMemory {
  const cams = new Map<string, { entries: Entry[], bursts: Set<string>, lastBurst: string }>()
  const isStaticEntry = (e: Entry): boolean => o.minBursts > 0 && e.seen >= o.minBursts && e.seen / (e.seen + e.missed) >= o.minRate

  return {
    known (cameraId) {
      const c = cams.get(cameraId)
      if (c === undefined || o.minBursts === 0) return []
      return c.entries.filter(isStaticEntry).map(e => ({ x0: e.x0, y0: e.y0, x1: e.x1, y1: e.y1 }))
    },
    observe (cameraId, burstId, width, height, boxes) {
      if (o.minBursts === 0 || width <= 0 || height <= 0) return
      let c = cams.get(cameraId)
      if (c === undefined) { c = { entries: [], bursts: new Set(), lastBurst: '' }; cams.set(cameraId, c) }
      const newBurst = c.lastBurst !== burstId
      if (newBurst) {
        // the places not seen in the burst that just ended were missed by it
        if (c.lastBurst !== '') for (const e of c.entries) if (e.lastBurst !== c.lastBurst) e.missed++
        c.lastBurst = burstId
      }
      for (const b of boxes) {
        const n = normBox(b, width, height)
        let best: Entry | undefined
        let bestIou = o.iou
        for (const e of c.entries) {
          const v = iou(e, n)
          if (v >= bestIou) { best = e; bestIou = v }
        }
        if (best === undefined) {
          c.entries.push({ ...n, seen: 1, missed: 0, lastBurst: burstId })
          continue
        }
        if (best.lastBurst !== burstId) {
          best.seen++
          best.lastBurst = burstId
        }
        // follow slow drift (wind, a sagging mount): a running mean of the place
        const k = 1 / Math.min(best.seen, 8)
        best.x0 += (n.x0 - best.x0) * k
        best.y0 += (n.y0 - best.y0) * k
        best.x1 += (n.x1 - best.x1) * k
        best.y1 += (n.y1 - best.y1) * k
      }
      if (c.entries.length > o.maxPerCamera) {
        c.entries.sort((a, b) => b.seen / (b.seen + b.missed) - a.seen / (a.seen + a.missed) || b.seen - a.seen)
        c.entries.length = o.maxPerCamera
      }
    },
    size (cameraId) { return cams.get(cameraId)?.entries.length ?? 0 }
  }
}
