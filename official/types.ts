/** The products this service follows; each keeps its own state per area (or forecast area). */
export type Product = 'warning' | 'flood' | 'landslide' | 'recordRain' | 'specialNotice'

export const PRODUCT_NAMES_JA: Record<Product, string> = {
  warning: '気象警報・注意報',
  flood: '指定河川洪水予報',
  landslide: '土砂災害警戒情報',
  recordRain: '記録的短時間大雨情報',
  specialNotice: '気象特別警報報知'
}

/** Head/InfoType: 発表 (issue, including updates and 解除 items), 訂正 (correction), 取消 (withdrawal) */
export type InfoType = '発表' | '訂正' | '取消'

export interface TelegramHead {
  /** Head/InfoKind — stable across format versions, unlike Control/Title and Head/Title */
  infoKind: string
  infoKindVersion: string
  controlTitle: string
  /** Control/Status: 通常, 訓練 (drill) or 試験 (test) */
  status: string
  editorialOffice: string
  publishingOffice: string
  /** Control/DateTime, ms */
  dateTime: number
  /** Head/ReportDateTime, ms */
  reportDateTime: number
  targetDateTime: number | null
  eventId: string
  infoType: InfoType
  serial: string
  headTitle: string
  headline: string
}

export interface KindItem {
  code: string
  name: string
  /** Body Kind/Status (発表, 継続, 解除, 警報から注意報 …) or the Headline Condition */
  status: string
}

/** One area's (or forecast area's) situation as one telegram states it. */
export interface AreaEntry {
  product: Product
  /** 市町村等 (7 digits), 二次細分, 府県予報区・細分区域 (6 digits) or 洪水予報区域 (12 digits) */
  areaCode: string
  areaName: string
  /** which list the entry came from (Warning/@type or Information/@type) */
  scope: string
  /** kinds in force after this telegram (解除 and なし left out) */
  active: KindItem[]
  /** kinds this telegram ends here (status 解除) */
  cleared: KindItem[]
  /** the guideline's 警戒レベル相当 of the highest active kind (null: none) */
  level: number | null
}

export interface FloodStation { code: string, name: string, location: string }

export interface Telegram {
  product: Product
  head: TelegramHead
  entries: AreaEntry[]
  /** 指定河川洪水予報 only: rivers (10-digit codes) and the stations the text names */
  rivers: Array<{ code: string, name: string }>
  stations: FloodStation[]
}
