import { arr, child, text, type XmlNode } from './safe-xml.js'
import type { AreaEntry, KindItem, Product } from './types.js'

// statuses that mean "nothing in force here" for the kind they stand on
const ENDED = new Set(['解除', 'なし', '発表警報・注意報はなし'])

export function kindItem (k: XmlNode, status?: string): KindItem | undefined {
  const code = text(k.Code)
  if (code === undefined || code === '') return undefined
  return { code, name: text(k.Name) ?? '', status: status ?? text(k.Status) ?? text(k.Condition) ?? '' }
}

/**
 * Body/Warning[@type]/Item: one area (Area) or several (Areas/Area) with one or more kinds.
 * A kind with a 解除 status ends; なし and 発表警報・注意報はなし say nothing is in force.
 */
export function warningItems (warning: XmlNode, product: Product, level: (kinds: KindItem[]) => number | null, isCleared: (k: KindItem) => boolean = k => ENDED.has(k.status)): AreaEntry[] {
  const scope = String(warning['@type'] ?? '')
  const out: AreaEntry[] = []
  for (const item of arr(warning.Item)) {
    const kinds = arr(item.Kind).map(k => kindItem(k)).filter((k): k is KindItem => k !== undefined)
    const active = kinds.filter(k => !isCleared(k))
    const cleared = kinds.filter(k => k.status === '解除')
    const areas = [...arr(item.Area), ...arr(child(item, 'Areas')?.Area)]
    for (const a of areas) {
      const areaCode = text(a.Code)
      if (areaCode === undefined) continue
      out.push({ product, areaCode, areaName: text(a.Name) ?? '', scope, active, cleared, level: level(active) })
    }
  }
  return out
}

/** Head/Headline/Information[@type]/Item: kinds with a Condition per list of areas (洪水予報, 報知) */
export function headlineItems (information: XmlNode, product: Product, level: (kinds: KindItem[]) => number | null, isCleared: (k: KindItem) => boolean): AreaEntry[] {
  const scope = String(information['@type'] ?? '')
  const out: AreaEntry[] = []
  for (const item of arr(information.Item)) {
    const kinds = arr(item.Kind).map(k => kindItem(k)).filter((k): k is KindItem => k !== undefined)
    const active = kinds.filter(k => !isCleared(k))
    const cleared = kinds.filter(k => isCleared(k))
    for (const a of arr(child(item, 'Areas')?.Area)) {
      const areaCode = text(a.Code)
      if (areaCode === undefined) continue
      out.push({ product, areaCode, areaName: text(a.Name) ?? '', scope, active, cleared, level: level(active) })
    }
  }
  return out
}
