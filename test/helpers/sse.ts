import { request, type IncomingMessage } from 'node:http'
import { authHeaders } from './auth.js'

export interface SseEvent {
  event: string
  data: string
  id?: string
}

export interface SseClient {
  /** resolves with the first event (seen so far or later) that matches */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  readonly events: SseEvent[]
  close(): void
}

/** A minimal EventSource over node:http, parsing the wire format as a browser does. */
/** sends the test token of the URL's dashboard (test/helpers/auth.ts) unless `headers` says otherwise */
export async function openSse (url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const events: SseEvent[] = []
  const waiters: Array<{ match: (e: SseEvent) => boolean, resolve: (e: SseEvent) => void }> = []
  let buffer = ''
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...authHeaders(url), ...headers } }, resolve)
    req.on('error', reject)
    req.end()
  })
  if (res.statusCode !== 200) throw new Error(`SSE status ${res.statusCode}`)
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    buffer += chunk
    let idx
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, idx)
      buffer = buffer.slice(idx + 2)
      const e: SseEvent = { event: 'message', data: '' }
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') e.event = value
        else if (field === 'data') data.push(value)
        else if (field === 'id') e.id = value
      }
      if (data.length === 0) continue
      e.data = data.join('\n')
      events.push(e)
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!
        if (w.match(e)) {
          waiters.splice(i, 1)
          w.resolve(e)
        }
      }
    }
  })
  return {
    events,
    async next (match, timeoutMs = 15_000) {
      const seen = events.find(match)
      if (seen !== undefined) return seen
      return await new Promise<SseEvent>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('timed out waiting for SSE event')) }, timeoutMs)
        waiters.push({ match, resolve: e => { clearTimeout(timer); resolve(e) } })
      })
    },
    close () { res.destroy() }
  }
}
