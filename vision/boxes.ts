import type { NormBox } from './types.js'

/** intersection over union of two axis-aligned boxes in the same units (pixels or frame fractions) */
export function iou (a: NormBox, b: NormBox): number {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0))
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0))
  const inter = ix * iy
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter
  return union <= 0 ? 0 : inter / union
}
