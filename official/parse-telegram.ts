import { MimamoriError } from '../core/errors.js'
import { floodLevel, landslideLevel, maxLevel, warningLevel } from './levels.js'
import { headlineItems, warningItems } from './parse-items.js'
import { parseHead } from './parse-head.js'
import { arr, attr, child, parseSafeXml, text, type XmlNode } from './safe-xml.js'
import type { AreaEntry, FloodStation, Product, Telegram } from './types.js'

export interface ParseOptions { maxBytes?: number }

/**
 * Head/InfoKind → product. InfoKind is the stable identifier of a telegram's kind (Control/Title and
 * Head/Title change with format versions and renames: 気象警報・注意報（Ｈ２７）, 気象特別警報・警報・注意報,
 * ○○川上流氾濫危険情報 …); the parser after it reads codes and structure only.
 */
const BY_INFO_KIND: Record<string, Product> = {
  気象警報・注意報: 'warning',
  指定河川洪水予報: 'flood',
  土砂災害警戒情報: 'landslide',
  記録的短時間大雨情報: 'recordRain',
  気象特別警報報知: 'specialNotice'
}

/** Parses one JMA 防災情報XML telegram safely (official/safe-xml.ts) into areas and kinds by code. */
export function parseTelegram (input: Uint8Array | string, options: ParseOptions = {}): Telegram {
  const doc = parseSafeXml(input, { expect: 'telegram', ...options })
  const report = doc.Report as XmlNode
  const head = parseHead(report)
  const product = BY_INFO_KIND[head.infoKind]
  if (product === undefined) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED', `telegram kind ${head.infoKind} is not followed`, { details: { infoKind: head.infoKind } })
  const body = child(report, 'Body')
  const headline = child(child(report, 'Head'), 'Headline')
  const telegram: Telegram = { product, head, entries: [], rivers: [], stations: [] }
  // a withdrawal (取消) states nothing about areas; the state takes back what it withdraws
  if (head.infoType === '取消') return telegram
  switch (product) {
    case 'warning':
      for (const w of arr(body?.Warning)) telegram.entries.push(...warningItems(w, product, k => maxLevel(k, warningLevel)))
      break
    case 'landslide':
      for (const w of arr(body?.Warning)) telegram.entries.push(...warningItems(w, product, k => maxLevel(k, landslideLevel), k => landslideLevel(k.code) === null))
      break
    case 'recordRain':
      for (const w of arr(body?.Warning)) telegram.entries.push(...warningItems(w, product, () => null, k => k.code === '0' || k.status === 'なし'))
      break
    case 'specialNotice':
      for (const info of arr(headline?.Information)) telegram.entries.push(...headlineItems(info, product, k => maxLevel(k, warningLevel), () => false))
      break
    case 'flood':
      parseFlood(telegram, headline, body)
      break
  }
  return telegram
}

/**
 * 指定河川洪水予報: the forecast area's kind comes from the Headline list whose areas have
 * codeType 指定河川洪水予報（予報区域）(the Body may be empty, 16_05_01); rivers from the list with
 * codeType 河川; the stations the text refers to from Body/Warning/Item/Stations.
 */
function parseFlood (telegram: Telegram, headline: XmlNode | undefined, body: XmlNode | undefined): void {
  const isCleared = (k: { code: string }): boolean => floodLevel(k.code) === null
  for (const info of arr(headline?.Information)) {
    const codeType = attr(child(arr(info.Item)[0], 'Areas'), 'codeType')
    if (codeType === '指定河川洪水予報（予報区域）') {
      telegram.entries.push(...headlineItems(info, 'flood', k => maxLevel(k, floodLevel), isCleared))
    } else if (codeType === '河川') {
      for (const item of arr(info.Item)) {
        for (const a of arr(child(item, 'Areas')?.Area)) {
          const code = text(a.Code)
          if (code !== undefined && !telegram.rivers.some(r => r.code === code)) telegram.rivers.push({ code, name: text(a.Name) ?? '' })
        }
      }
    }
  }
  if (telegram.entries.length === 0) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED', '指定河川洪水予報 without a 予報区域 in its Headline')
  const seen = new Set<string>()
  for (const w of arr(body?.Warning)) {
    for (const item of arr(w.Item)) {
      for (const s of arr(child(item, 'Stations')?.Station)) {
        const code = text(s.Code) ?? ''
        const st: FloodStation = { code, name: text(s.Name) ?? '', location: text(s.Location) ?? '' }
        const key = `${st.code}|${st.name}`
        if (!seen.has(key)) { seen.add(key); telegram.stations.push(st) }
      }
    }
  }
}

export type { AreaEntry }
