import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Aedes } from 'aedes'
import { MimamoriError } from '../core/errors.js'

export interface Listener {
  readonly name: string
  readonly port: number
  close(): Promise<void>
}

export async function listenTcp (aedes: Aedes, host: string, port: number): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server = createNetServer(socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  const bound = await listen(server, host, port, 'mqtt')
  return {
    name: 'mqtt',
    port: bound,
    close: async () => {
      // net.Server.close waits for open sockets; devices never hang up on their own.
      const done = closeServer(server)
      for (const socket of sockets) socket.destroy()
      await done
    }
  }
}

/** MQTT over WebSocket on path /mqtt, the path browsers and MQTT.js use by default. */
export async function listenWebSocket (aedes: Aedes, host: string, port: number, maxPayload: number): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt with subprotocol mqtt\n')
  })
  const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload })
  wss.on('connection', (socket, req) => {
    const stream = createWebSocketStream(socket)
    // A socket torn down mid-frame surfaces here; aedes reports the client error separately.
    stream.on('error', () => { socket.terminate() })
    aedes.handle(stream as never, req)
  })
  const bound = await listen(http, host, port, 'mqtt-ws')
  return {
    name: 'mqtt-ws',
    port: bound,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>(resolve => { wss.close(() => { resolve() }) })
      await closeServer(http)
    }
  }
}

async function listen (server: NetServer | HttpServer, host: string, port: number, name: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new MimamoriError('MIMAMORI_ERR_LISTEN', `${name}: cannot listen on ${host}:${port} (${err.code ?? err.message})`, { cause: err }))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const address = server.address()
  return typeof address === 'object' && address !== null ? address.port : port
}

async function closeServer (server: NetServer | HttpServer): Promise<void> {
  await new Promise<void>(resolve => {
    server.close(() => { resolve() })
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}
