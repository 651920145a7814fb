import { arr, attr, child, parseSafeXml, text, type XmlNode } from './safe-xml.js'

export interface FeedEntry {
  id: string
  url: string
  title: string
  author: string
  updated: number
  /** データ種類コード from the telegram's file name (VPWW54, VXKO53, VXWW50 …) */
  dataType: string
  /** the issuing office's area code from the file name (060000 山形 …) */
  officeCode: string
}

export interface Feed { updated: number, entries: FeedEntry[] }

// JMA names each telegram file {yyyymmddhhmmss}_{n}_{データ種類コード}_{官署コード}.xml
const FILE = /\/(\d{14})_(\d+)_([A-Z]{4}\d{2})_(\d{6})\.xml$/

/** A PULL Atom feed (extra.xml, long feeds): entries with the codes the poller filters on. */
export function parseFeed (input: Uint8Array | string, options: { maxBytes?: number } = {}): Feed {
  const doc = parseSafeXml(input, { expect: 'feed', ...options })
  const feed = doc.feed as XmlNode
  const entries: FeedEntry[] = []
  for (const e of arr(feed.entry)) {
    const links = arr(e.link)
    const url = attr(links.find(l => attr(l, 'type') === 'application/xml') ?? links[0], 'href') ?? text(e.id) ?? ''
    const m = FILE.exec(url)
    entries.push({
      id: text(e.id) ?? url,
      url,
      title: text(e.title) ?? '',
      author: text(child(e, 'author')?.name) ?? '',
      updated: Date.parse(text(e.updated) ?? '') || 0,
      dataType: m?.[3] ?? '',
      officeCode: m?.[4] ?? ''
    })
  }
  return { updated: Date.parse(text(feed.updated) ?? '') || 0, entries }
}
