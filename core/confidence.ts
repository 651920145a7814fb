/**
 * A sighting's monkey score as people read it: 高 / 中 / 低, never the raw
 * ImageNet label of the best view (a "dhole" label on a macaque confuses
 * hunters). Cut points sit above the per-stage thresholds of vision,
 * so 低 still means the k-of-n vote passed.
 */
export type Confidence = 'high' | 'medium' | 'low'

export function confidenceOf (score: number): Confidence {
  if (score >= 0.5) return 'high'
  if (score >= 0.2) return 'medium'
  return 'low'
}

export const CONFIDENCE_JA: Record<Confidence, string> = { high: '高', medium: '中', low: '低' }
export const CONFIDENCE_EN: Record<Confidence, string> = { high: 'high', medium: 'medium', low: 'low' }
