import type { FastifyReply, FastifyRequest } from 'fastify'

/** Bytes a client may lag behind before it is dropped; a stalled phone must not grow our heap. */
const MAX_BUFFERED_BYTES = 1_000_000
const HEARTBEAT_MS = 15_000

/** `E`: event name → payload (dashboard/contract/events.ts), so every broadcast matches its schema */
export interface SseHub<E extends object = Record<string, unknown>> {
  /** takes over the reply and keeps it open until the client leaves */
  attach(request: FastifyRequest, reply: FastifyReply): void
  broadcast<K extends keyof E & string>(event: K, data: E[K]): void
  readonly clients: number
  close(): void
}

/**
 * Server-Sent Events fan-out: one bus listener feeds every connected browser.
 * Each event carries an id so EventSource can tell a reconnect what it saw.
 */
export function createSseHub<E extends object = Record<string, unknown>> (): SseHub<E> {
  const clients = new Set<FastifyReply>()
  let nextId = 1
  const heartbeat = setInterval(() => {
    for (const reply of clients) write(reply, ': keep-alive\n\n')
  }, HEARTBEAT_MS)
  heartbeat.unref()

  function write (reply: FastifyReply, chunk: string): void {
    if (reply.raw.writableLength > MAX_BUFFERED_BYTES) {
      clients.delete(reply)
      reply.raw.destroy()
      return
    }
    reply.raw.write(chunk)
  }

  return {
    get clients () { return clients.size },
    attach (request, reply) {
      reply.hijack()
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // proxies such as nginx buffer responses unless told not to
        'x-accel-buffering': 'no'
      })
      reply.raw.write('retry: 3000\n\n')
      clients.add(reply)
      request.raw.on('close', () => { clients.delete(reply) })
    },
    broadcast (event, data) {
      const chunk = `id: ${nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
      for (const reply of clients) write(reply, chunk)
    },
    close () {
      clearInterval(heartbeat)
      for (const reply of clients) reply.raw.end()
      clients.clear()
    }
  }
}
