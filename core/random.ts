/**
 * Seeded PRNG (mulberry32) so simulated devices and tests are reproducible:
 * a failing simulation can be replayed from its seed.
 */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number
  /** standard normal (Box–Muller) */
  normal(): number
}

export function createRng (seed: number): Rng {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    normal () {
      const u = Math.max(next(), Number.EPSILON)
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
    }
  }
}

export function seedFrom (text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}
