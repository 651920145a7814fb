import type { KindItem } from './types.js'

/**
 * 警戒レベル相当 of JMA kinds, by code (避難情報に関するガイドライン, 2021, 表「警戒レベル相当情報」).
 * Codes, not names: JMA renames products (レベル4 危険警報 …) but keeps the code tables.
 */
const WARNING_LEVEL: Record<string, number> = {
  33: 5, // 大雨特別警報
  38: 4, // 高潮特別警報
  '08': 4, // 高潮警報
  '03': 3, // 大雨警報 (土砂災害 3 相当)
  '04': 3, // 洪水警報
  10: 2, // 大雨注意報
  18: 2, // 洪水注意報
  19: 2 // 高潮注意報
}

export function warningLevel (code: string): number | null {
  return WARNING_LEVEL[code] ?? null
}

/** 指定河川洪水予報: the tens digit is the level (20 氾濫注意 2, 30 氾濫警戒 3, 40 氾濫危険 4, 50 氾濫発生 5); 10 is 解除 */
export function floodLevel (code: string): number | null {
  const n = Number.parseInt(code, 10)
  if (!Number.isFinite(n) || n < 20) return null
  return Math.min(5, Math.floor(n / 10))
}

/** 土砂災害警戒情報: 3 警戒 (and any later 危険 code above it) is 警戒レベル4相当; 1 解除, 0 なし */
export function landslideLevel (code: string): number | null {
  const n = Number.parseInt(code, 10)
  return Number.isFinite(n) && n >= 3 ? 4 : null
}

export function maxLevel (kinds: KindItem[], of: (code: string) => number | null): number | null {
  let best: number | null = null
  for (const k of kinds) {
    const l = of(k.code)
    if (l !== null && (best === null || l > best)) best = l
  }
  return best
}

/** the guideline's colours for 警戒レベル 1–5 (内閣府: 白, 黄, 赤, 紫, 黒) */
export const LEVEL_COLOURS: Record<number, string> = { 1: '#ffffff', 2: '#f2e700', 3: '#ff2800', 4: '#aa00aa', 5: '#0c000c' }
