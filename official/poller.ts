import { MimamoriError, isMimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { OfficialRepository } from '../store/official.js'
import { readLimited } from './http-read.js'
import { parseFeed, type FeedEntry } from './parse-feed.js'
import type { Receiver } from './receiver.js'

export interface FeedConfig { url: string, intervalS: number }

export type PollOutcome =
  | { kind: 'throttled', waitMs: number }
  | { kind: 'not-modified' }
  | { kind: 'error', status: number | null, errorCode: string, retryInMs: number }
  | { kind: 'fetched', entries: number, wanted: number, received: number, refused: number, failed: number }

export interface Poller {
  start(): void
  /** polls one feed now unless its interval (or back-off) has not passed: then nothing is requested */
  poll(url: string): Promise<PollOutcome>
  close(): Promise<void>
}

export interface PollerDeps {
  feeds: FeedConfig[]
  repo: OfficialRepository
  receiver: Receiver
  logger: Logger
  /** データ種類コード prefixes fetched (VPWW54, VXKO …) */
  dataTypes: string[]
  /** issuing office area codes fetched; empty = all */
  officeCodes: string[]
  maxBytes: number
  backoffMaxS: number
  clock?: () => number
  userAgent?: string
}

interface FeedState { cfg: FeedConfig, nextAt: number, failures: number, timer?: NodeJS.Timeout, running?: Promise<PollOutcome> }

const TIMEOUT_MS = 30_000

/** one telegram, handed to the receiver; a refused one is recorded so it is not fetched again each minute */
async function fetchTelegram (url: string, { headers, d, log }: { headers: Record<string, string>, d: PollerDeps, log: Logger }): Promise<'received' | 'refused' | 'failed'> {
  let bytes: Uint8Array
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' })
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_FETCH', `HTTP ${res.status}`)
    }
    bytes = await readLimited(res, d.maxBytes)
  } catch (err) {
    if (isMimamoriError(err) && err.code === 'MIMAMORI_ERR_OFFICIAL_TOO_LARGE') {
      // recorded like any refused document, so it is not fetched again each minute
      d.receiver.refuse(url, err.code, Number(err.details?.size ?? 0))
      return 'refused'
    }
    log.warn({ url, err: (err as Error).message }, 'telegram fetch failed; retried on the next poll')
    return 'failed'
  }
  return d.receiver.receive(bytes, url).outcome === 'refused' ? 'refused' : 'received'
}

/**
 * JMA PULL: polls each Atom feed no more often than its interval (JMA asks ≥ 60 s), with conditional GET
 * (If-None-Match / If-Modified-Since from the last 200, kept in the database across restarts), doubling
 * the wait after each HTTP or network error up to backoffMaxS, and fetches only the telegrams whose file
 * name names a wanted データ種類コード and office that are not stored yet.
 */
export function createPoller (d: PollerDeps): Poller {
  const log = d.logger.child({ component: 'official-poller' })
  const clock = d.clock ?? Date.now
  const feeds = new Map<string, FeedState>(d.feeds.map(cfg => [cfg.url, { cfg, nextAt: 0, failures: 0 }]))
  let closed = false
  const headers = { 'user-agent': d.userAgent ?? 'mimamori (JMA PULL client)' }

  const wanted = (e: FeedEntry): boolean => d.dataTypes.some(t => e.dataType.startsWith(t)) &&
    (d.officeCodes.length === 0 || d.officeCodes.includes(e.officeCode))

  function failed (f: FeedState, status: number | null, errorCode: string, now: number): PollOutcome {
    f.failures++
    const retryInMs = Math.min(d.backoffMaxS * 1000, f.cfg.intervalS * 1000 * 2 ** f.failures)
    f.nextAt = now + retryInMs
    log.warn({ url: f.cfg.url, status, errorCode, retryInMs }, 'feed poll failed; backing off')
    return { kind: 'error', status, errorCode, retryInMs }
  }

  async function pollFeed (f: FeedState): Promise<PollOutcome> {
    const now = clock()
    if (now < f.nextAt) return { kind: 'throttled', waitMs: f.nextAt - now }
    f.nextAt = now + f.cfg.intervalS * 1000
    const url = f.cfg.url
    const v = d.repo.feed(url)
    const h: Record<string, string> = { ...headers }
    if (v?.etag != null) h['if-none-match'] = v.etag
    if (v?.lastModified != null) h['if-modified-since'] = v.lastModified
    let res: Response
    try {
      res = await fetch(url, { headers: h, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' })
    } catch {
      return failed(f, null, 'MIMAMORI_ERR_OFFICIAL_FETCH', now)
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => {})
      f.failures = 0
      d.repo.saveFeed({ url, etag: v?.etag ?? null, lastModified: v?.lastModified ?? null, checkedAt: now, httpStatus: 304 })
      return { kind: 'not-modified' }
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      return failed(f, res.status, 'MIMAMORI_ERR_OFFICIAL_FETCH', now)
    }
    let entries: FeedEntry[]
    try {
      entries = parseFeed(await readLimited(res, d.maxBytes), { maxBytes: d.maxBytes }).entries
    } catch (err) {
      return failed(f, res.status, isMimamoriError(err) ? err.code : 'MIMAMORI_ERR_OFFICIAL_FETCH', now)
    }
    f.failures = 0
    const picked = entries.filter(wanted).filter(e => !d.repo.hasSource(e.url))
    // oldest first, so the state sees issue before update before cancel
    picked.sort((a, b) => a.updated - b.updated || a.url.localeCompare(b.url))
    let received = 0; let refused = 0; let failedFetches = 0
    for (const e of picked) {
      if (closed) break
      const r = await fetchTelegram(e.url, { headers, d, log })
      if (r === 'failed') failedFetches++
      else if (r === 'refused') refused++
      else received++
    }
    // validators are saved only after the entries were taken, so a crash in between polls the feed again
    d.repo.saveFeed({ url, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified'), checkedAt: now, httpStatus: res.status })
    return { kind: 'fetched', entries: entries.length, wanted: picked.length, received, refused, failed: failedFetches }
  }

  const guarded = (f: FeedState): Promise<PollOutcome> => pollFeed(f).catch((err: unknown) => {
    log.error({ err, url: f.cfg.url }, 'feed poll crashed')
    return failed(f, null, 'MIMAMORI_ERR_INTERNAL', clock())
  })

  function schedule (f: FeedState): void {
    if (closed) return
    const delay = Math.max(1000, f.nextAt - clock())
    f.timer = setTimeout(() => {
      f.running = guarded(f).finally(() => { schedule(f) })
    }, delay)
    f.timer.unref()
  }

  return {
    start () {
      for (const f of feeds.values()) f.running = guarded(f).finally(() => { schedule(f) })
    },
    async poll (url) {
      const f = feeds.get(url)
      if (f === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `feed ${url} is not configured`)
      // one request at a time per feed: a second caller waits for the first and gets its answer's throttle
      if (f.running !== undefined) await f.running.catch(() => {})
      const p = pollFeed(f)
      f.running = p
      return await p
    },
    async close () {
      closed = true
      for (const f of feeds.values()) {
        if (f.timer !== undefined) clearTimeout(f.timer)
        await f.running?.catch(() => {})
      }
    }
  }
}
