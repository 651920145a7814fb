import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { openDatabase } from '../../store/db.js'
import { createOfficialRepository } from '../../store/official.js'
import { createReceiver } from '../../official/receiver.js'
import { createPoller, type Poller } from '../../official/poller.js'
import { SHARED } from '../helpers/app.js'
import { hostile, minimalTelegram } from '../helpers/official.js'

const DIR = join(SHARED, 'data', 'official')
const YAMAGATA = '20240725040511_0_VPWW54_060000.xml'
const tmp = mkdtempSync(join(tmpdir(), 'mimamori-poller-'))
afterAll(() => { rmSync(tmp, { recursive: true, force: true }) })

interface Hit { path: string, headers: IncomingHttpHeaders }
interface Fake { server: Server, base: string, hits: Hit[], feedStatus: number, docs: Map<string, Buffer | (() => AsyncGenerator<Buffer>)>, entries: string[] }

async function fakeJma (): Promise<Fake> {
  const f = { hits: [] as Hit[], feedStatus: 200, docs: new Map(), entries: [] as string[] } as unknown as Fake
  f.server = createServer((req, res) => {
    f.hits.push({ path: req.url ?? '', headers: req.headers })
    if (req.url === '/feed.xml') {
      if (f.feedStatus !== 200) { res.writeHead(f.feedStatus).end('busy'); return }
      if (req.headers['if-none-match'] === '"v1"') { res.writeHead(304).end(); return }
      const body = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" lang="ja"><title>高頻度（随時）</title><updated>2026-08-12T15:00:00+09:00</updated>${
        f.entries.map((n, i) => `<entry><title>t</title><id>${f.base}/data/${n}</id><updated>2026-08-12T06:0${i}:00Z</updated><author><name>山形地方気象台</name></author><link type="application/xml" href="${f.base}/data/${n}"/></entry>`).join('')}</feed>`
      res.writeHead(200, { 'content-type': 'application/xml', etag: '"v1"', 'last-modified': 'Wed, 12 Aug 2026 06:00:00 GMT' }).end(body)
      return
    }
    const doc = f.docs.get((req.url ?? '').replace('/data/', ''))
    if (doc === undefined) { res.writeHead(404).end(); return }
    if (Buffer.isBuffer(doc)) { res.writeHead(200, { 'content-type': 'application/xml' }).end(doc); return }
    // streamed without Content-Length: the reader must stop on its own
    res.writeHead(200, { 'content-type': 'application/xml' })
    void (async () => {
      for await (const chunk of doc()) { if (!res.write(chunk)) await new Promise(r => res.once('drain', r)); if (res.destroyed) return }
      res.end()
    })().catch(() => {})
  })
  await new Promise<void>(r => f.server.listen(0, '127.0.0.1', r))
  const a = f.server.address()
  f.base = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`
  return f
}

let now = 1_800_000_000_000
const opened: Array<{ close: () => Promise<void> }> = []
afterEach(async () => { for (const o of opened.splice(0)) await o.close() })

async function setup (opts: { intervalS?: number, backoffMaxS?: number } = {}): Promise<{ fake: Fake, poller: Poller, repo: ReturnType<typeof createOfficialRepository>, rx: ReturnType<typeof createReceiver>, url: string }> {
  const fake = await fakeJma()
  const db = openDatabase(':memory:').db
  const repo = createOfficialRepository(db)
  const rx = createReceiver({ repo, logger: silentLogger(), statuses: ['通常'], maxBytes: 1024 * 1024, relevant: (_p, code) => code === '0620300', clock: () => now })
  const url = `${fake.base}/feed.xml`
  const poller = createPoller({
    feeds: [{ url, intervalS: opts.intervalS ?? 60 }], repo, receiver: rx, logger: silentLogger(), dataTypes: ['VPWW54', 'VXWW50'], officeCodes: ['060000'],
    maxBytes: 1024 * 1024, backoffMaxS: opts.backoffMaxS ?? 600, clock: () => now
  })
  opened.push({ close: async () => { await poller.close(); db.close(); await new Promise(r => fake.server.close(r)) } })
  return { fake, poller, repo, rx, url }
}
const feedHits = (f: Fake) => f.hits.filter(h => h.path === '/feed.xml')
const dataHits = (f: Fake) => f.hits.filter(h => h.path.startsWith('/data/'))

describe('JMA PULL poller against a local HTTP server', () => {
  it('honours conditional GET: the second poll sends If-None-Match / If-Modified-Since, gets 304 and fetches nothing', async () => {
    const { fake, poller, url, rx } = await setup()
    fake.docs.set(YAMAGATA, readFileSync(join(DIR, 'jma_pull_20240725040511_0_VPWW54_060000.xml')))
    fake.entries = [YAMAGATA]
    expect(await poller.poll(url)).toMatchObject({ kind: 'fetched', received: 1 })
    expect(feedHits(fake)[0]!.headers['if-none-match']).toBeUndefined()
    expect(rx.state.get('warning:0620300')!.level).toBe(3)
    now += 60_000
    expect(await poller.poll(url)).toEqual({ kind: 'not-modified' })
    expect(feedHits(fake)[1]!.headers['if-none-match']).toBe('"v1"')
    expect(feedHits(fake)[1]!.headers['if-modified-since']).toBe('Wed, 12 Aug 2026 06:00:00 GMT')
    expect(dataHits(fake).length).toBe(1)
  })

  it('never polls faster than configured: 30 calls within one interval make one request', async () => {
    const { fake, poller, url } = await setup({ intervalS: 60 })
    for (let i = 0; i < 30; i++) await poller.poll(url)
    expect(feedHits(fake).length).toBe(1)
    now += 59_999
    expect((await poller.poll(url)).kind).toBe('throttled')
    expect(feedHits(fake).length).toBe(1)
    now += 1
    await poller.poll(url)
    expect(feedHits(fake).length).toBe(2)
  })

  it('backs off on HTTP errors (doubling up to the maximum) and recovers', async () => {
    const { fake, poller, url } = await setup({ intervalS: 60, backoffMaxS: 300 })
    fake.feedStatus = 503
    expect(await poller.poll(url)).toMatchObject({ kind: 'error', status: 503, retryInMs: 120_000 })
    now += 60_000
    expect((await poller.poll(url)).kind).toBe('throttled')
    expect(feedHits(fake).length).toBe(1)
    now += 60_000
    expect(await poller.poll(url)).toMatchObject({ kind: 'error', retryInMs: 240_000 })
    now += 240_000
    expect(await poller.poll(url)).toMatchObject({ kind: 'error', retryInMs: 300_000 })
    expect(feedHits(fake).length).toBe(3)
    fake.feedStatus = 200
    now += 300_000
    expect((await poller.poll(url)).kind).toBe('fetched')
    now += 60_000
    expect((await poller.poll(url)).kind).toBe('not-modified')
    expect(feedHits(fake).length).toBe(5)
  })

  it('fetches only wanted data types from configured offices, each telegram once', async () => {
    const { fake, poller, url } = await setup()
    const good = readFileSync(join(DIR, 'jma_pull_20240725040511_0_VPWW54_060000.xml'))
    fake.entries = [YAMAGATA, '20240725040511_0_VPWW54_400000.xml', '20240725040511_0_VPFJ50_060000.xml', '20240725040512_0_VPNO50_060000.xml']
    for (const n of fake.entries) fake.docs.set(n, good)
    expect(await poller.poll(url)).toMatchObject({ kind: 'fetched', entries: 4, wanted: 1, received: 1 })
    expect(dataHits(fake).map(h => h.path)).toEqual([`/data/${YAMAGATA}`])
  })

  it('refuses hostile telegrams with coded errors and still applies the good one beside them', async () => {
    const { fake, poller, url, repo, rx } = await setup()
    const secret = join(tmp, 'passwd'); writeFileSync(secret, 'root:SECRET')
    const t = minimalTelegram()
    const docs: Record<string, Buffer | (() => AsyncGenerator<Buffer>)> = {
      '20260812060001_0_VXWW50_060000.xml': Buffer.from(hostile.billionLaughs()),
      '20260812060002_0_VXWW50_060000.xml': Buffer.from(hostile.externalEntity(secret)),
      '20260812060003_0_VXWW50_060000.xml': async function * () { const chunk = Buffer.alloc(1024 * 1024, 0x20); yield Buffer.from(t.slice(0, 300)); for (let i = 0; i < 50; i++) yield chunk },
      '20260812060004_0_VXWW50_060000.xml': Buffer.from(t.slice(0, t.length - 40)),
      '20260812060005_0_VXWW50_060000.xml': Buffer.from(hostile.wrongNamespace()),
      '20260812060006_0_VXWW50_060000.xml': Buffer.from(t)
    }
    for (const [n, d] of Object.entries(docs)) fake.docs.set(n, d)
    fake.entries = Object.keys(docs)
    expect(await poller.poll(url)).toMatchObject({ kind: 'fetched', wanted: 6, received: 1, refused: 5, failed: 0 })
    const rows = repo.telegrams()
    const code = (n: string) => rows.find(r => r.source.endsWith(n))!.errorCode
    expect(code('060001_0_VXWW50_060000.xml')).toBe('MIMAMORI_ERR_OFFICIAL_DTD')
    expect(code('060002_0_VXWW50_060000.xml')).toBe('MIMAMORI_ERR_OFFICIAL_DTD')
    expect(code('060003_0_VXWW50_060000.xml')).toBe('MIMAMORI_ERR_OFFICIAL_TOO_LARGE')
    expect(code('060004_0_VXWW50_060000.xml')).toBe('MIMAMORI_ERR_OFFICIAL_MALFORMED')
    expect(code('060005_0_VXWW50_060000.xml')).toBe('MIMAMORI_ERR_OFFICIAL_NAMESPACE')
    expect(rows.find(r => r.source.endsWith('060006_0_VXWW50_060000.xml'))!.outcome).toBe('applied')
    expect(JSON.stringify(rows)).not.toContain('SECRET')
    expect([...rx.state.keys()]).toEqual(['landslide:0620300'])
    // refused documents are recorded, so the next feed change does not fetch them again
    const before = dataHits(fake).length
    fake.entries.push('20260812060007_0_VXWW50_060000.xml')
    fake.docs.set('20260812060007_0_VXWW50_060000.xml', Buffer.from(minimalTelegram({ report: '2026-08-12T16:00:00+09:00', status: '継続', serial: '2' })))
    fake.hits.length = 0
    now += 60_000
    // the fake's ETag never changes, so forget the stored validators to get the changed feed
    repo.saveFeed({ url, etag: null, lastModified: null, checkedAt: now, httpStatus: 200 })
    expect(await poller.poll(url)).toMatchObject({ kind: 'fetched', wanted: 1, received: 1 })
    expect(dataHits(fake).length).toBe(1)
    expect(before).toBe(6)
    expect(rx.state.get('landslide:0620300')!.phase).toBe('継続')
  })
})
