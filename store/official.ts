import type Database from 'better-sqlite3'
import { migrateParts } from './parts.js'
import { OFFICIAL_PART } from './official-schema.js'

/**
 * The official-information tables (their own part, store/official-schema.ts) as plain rows: the official/
 * service writes them, the dashboard reads them; neither needs the other's code.
 */
export interface TelegramRow {
  id: string
  receivedAt: number
  source: string
  product: string | null
  infoKind: string | null
  infoType: string | null
  status: string | null
  office: string | null
  eventId: string | null
  serial: string | null
  reportTime: number | null
  headTitle: string | null
  bytes: number
  /** null for a refused document: its bytes are not kept */
  xml: string | null
  outcome: 'applied' | 'stale' | 'ignored' | 'refused' | 'duplicate'
  errorCode: string | null
}

export interface FeedValidators { url: string, etag: string | null, lastModified: string | null, checkedAt: number, httpStatus: number }

export interface OfficialRepository {
  /** false when a telegram with this id (sha-256 of its bytes) is already stored */
  insertTelegram(row: TelegramRow): boolean
  hasTelegram(id: string): boolean
  /** a telegram fetched from this URL (or read from this file) is stored */
  hasSource(source: string): boolean
  telegrams(q?: { limit?: number, before?: number }): Array<Omit<TelegramRow, 'xml'>>
  telegramXml(id: string): string | undefined
  /** one telegram's head (no bytes): what a CAP message cites it by */
  telegram(id: string): Omit<TelegramRow, 'xml'> | undefined
  saveState(product: string, areaCode: string, doc: unknown, reportTime: number): void
  deleteState(product: string, areaCode: string): void
  states(): Array<{ product: string, areaCode: string, doc: unknown }>
  feed(url: string): FeedValidators | undefined
  saveFeed(v: FeedValidators): void
  criteria(): Array<{ areaCode: string, doc: unknown, updatedAt: number, updatedBy: string | null }>
  saveCriteria(areaCode: string, doc: unknown, by: string | null, at: number): void
  /** back to the guideline's criteria */
  deleteCriteria(areaCode: string): void
  suggestions(): Array<{ areaCode: string, doc: unknown, updatedAt: number }>
  saveSuggestion(areaCode: string, doc: unknown, at: number): void
  transaction<T>(fn: () => T): T
}

interface TRow {
  id: string, received_at: number, source: string, product: string | null, info_kind: string | null, info_type: string | null, status: string | null,
  office: string | null, event_id: string | null, serial: string | null, report_time: number | null, head_title: string | null, bytes: number, outcome: string, error_code: string | null
}

/** `db`: the process's shared handle (store/db.ts); the official tables are brought up to date on it */
export function createOfficialRepository (db: Database.Database): OfficialRepository {
  migrateParts(db, [OFFICIAL_PART])
  const insert = db.prepare(`INSERT OR IGNORE INTO official_telegrams (id, received_at, source, product, info_kind, info_type, status, office, event_id, serial,
    report_time, head_title, bytes, xml, outcome, error_code) VALUES (@id, @receivedAt, @source, @product, @infoKind, @infoType, @status, @office, @eventId,
    @serial, @reportTime, @headTitle, @bytes, @xml, @outcome, @errorCode)`)
  const has = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM official_telegrams WHERE id = ?')
  const hasSource = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM official_telegrams WHERE source = ? LIMIT 1')
  const list = db.prepare<[number, number], TRow>(`SELECT id, received_at, source, product, info_kind, info_type, status, office, event_id, serial, report_time,
    head_title, bytes, outcome, error_code FROM official_telegrams WHERE received_at < ? ORDER BY received_at DESC, rowid DESC LIMIT ?`)
  const xml = db.prepare<[string], { xml: string | null }>('SELECT xml FROM official_telegrams WHERE id = ?')
  const one = db.prepare<[string], TRow>(`SELECT id, received_at, source, product, info_kind, info_type, status, office, event_id, serial, report_time,
    head_title, bytes, outcome, error_code FROM official_telegrams WHERE id = ?`)
  const head = (r: TRow): Omit<TelegramRow, 'xml'> => ({
    id: r.id,
    receivedAt: r.received_at,
    source: r.source,
    product: r.product,
    infoKind: r.info_kind,
    infoType: r.info_type,
    status: r.status,
    office: r.office,
    eventId: r.event_id,
    serial: r.serial,
    reportTime: r.report_time,
    headTitle: r.head_title,
    bytes: r.bytes,
    outcome: r.outcome as TelegramRow['outcome'],
    errorCode: r.error_code
  })
  const saveState = db.prepare('INSERT INTO official_state (product, area_code, doc, report_time) VALUES (?, ?, ?, ?) ON CONFLICT (product, area_code) DO UPDATE SET doc = excluded.doc, report_time = excluded.report_time')
  const delState = db.prepare('DELETE FROM official_state WHERE product = ? AND area_code = ?')
  const states = db.prepare<[], { product: string, area_code: string, doc: string }>('SELECT product, area_code, doc FROM official_state ORDER BY product, area_code')
  const feed = db.prepare<[string], { url: string, etag: string | null, last_modified: string | null, checked_at: number, http_status: number }>('SELECT * FROM official_feeds WHERE url = ?')
  const saveFeed = db.prepare('INSERT INTO official_feeds (url, etag, last_modified, checked_at, http_status) VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at, http_status = excluded.http_status')
  const criteria = db.prepare<[], { area_code: string, doc: string, updated_at: number, updated_by: string | null }>('SELECT * FROM official_criteria ORDER BY area_code')
  const saveCriteria = db.prepare('INSERT INTO official_criteria (area_code, doc, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (area_code) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, updated_by = excluded.updated_by')
  const delCriteria = db.prepare('DELETE FROM official_criteria WHERE area_code = ?')
  const suggestions = db.prepare<[], { area_code: string, doc: string, updated_at: number }>('SELECT * FROM official_suggestions ORDER BY area_code')
  const saveSuggestion = db.prepare('INSERT INTO official_suggestions (area_code, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT (area_code) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at')
  return {
    insertTelegram: row => insert.run(row).changes > 0,
    hasTelegram: id => has.get(id) !== undefined,
    hasSource: source => hasSource.get(source) !== undefined,
    telegrams: ({ limit = 100, before = Number.MAX_SAFE_INTEGER } = {}) => list.all(before, limit).map(head),
    telegramXml: id => xml.get(id)?.xml ?? undefined,
    telegram: id => { const r = one.get(id); return r === undefined ? undefined : head(r) },
    saveState: (product, areaCode, doc, reportTime) => { saveState.run(product, areaCode, JSON.stringify(doc), reportTime) },
    deleteState: (product, areaCode) => { delState.run(product, areaCode) },
    states: () => states.all().map(r => ({ product: r.product, areaCode: r.area_code, doc: JSON.parse(r.doc) as unknown })),
    feed: url => {
      const r = feed.get(url)
      return r === undefined ? undefined : { url: r.url, etag: r.etag, lastModified: r.last_modified, checkedAt: r.checked_at, httpStatus: r.http_status }
    },
    saveFeed: v => { saveFeed.run(v.url, v.etag, v.lastModified, v.checkedAt, v.httpStatus) },
    criteria: () => criteria.all().map(r => ({ areaCode: r.area_code, doc: JSON.parse(r.doc) as unknown, updatedAt: r.updated_at, updatedBy: r.updated_by })),
    saveCriteria: (areaCode, doc, by, at) => { saveCriteria.run(areaCode, JSON.stringify(doc), at, by) },
    deleteCriteria: areaCode => { delCriteria.run(areaCode) },
    suggestions: () => suggestions.all().map(r => ({ areaCode: r.area_code, doc: JSON.parse(r.doc) as unknown, updatedAt: r.updated_at })),
    saveSuggestion: (areaCode, doc, at) => { saveSuggestion.run(areaCode, JSON.stringify(doc), at) },
    transaction: fn => db.transaction(fn)()
  }
}
