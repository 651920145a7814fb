import { readFileSync } from 'node:fs'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { Duplex } from 'node:stream'
import { WebSocketServer, createWebSocketStream } from 'ws'
import { MimamoriError } from '../core/errors.js'

/** Hands an accepted transport to the broker (limits, then aedes.handle). */
export type Handle = (stream: Duplex, req?: IncomingMessage) => void

export interface Listener {
  readonly name: string
  readonly port: number
  close(): Promise<void>
}

export async function listenTcp (handle: Handle, host: string, port: number): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server = createNetServer({ noDelay: true }, socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    handle(socket)
  })
  return await bindWithSockets(server, sockets, host, port, 'mqtt')
}

/** MQTT over TLS (mqtts) with a PEM certificate chain and key from files. */
export async function listenTls (handle: Handle, host: string, port: number, files: { cert: string, key: string }): Promise<Listener> {
  let cert: Buffer
  let key: Buffer
  try {
    cert = readFileSync(files.cert)
    key = readFileSync(files.key)
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_TLS', `mqtts: cannot read certificate/key (${(err as Error).message})`, { cause: err })
  }
  const sockets = new Set<Socket>()
  let server: NetServer
  try {
    server = createTlsServer({ cert, key, minVersion: 'TLSv1.2' }, (socket: TLSSocket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      handle(socket)
    })
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_TLS', `mqtts: certificate/key rejected (${(err as Error).message})`, { cause: err })
  }
  // A failed handshake is the client's problem; it must not reach the process as an error.
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => { socket.destroy() })
  return await bindWithSockets(server, sockets, host, port, 'mqtts')
}

async function bindWithSockets (server: NetServer, sockets: Set<Socket>, host: string, port: number, name: string): Promise<Listener> {
  const bound = await listen(server, host, port, name)
  return {
    name,
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
export async function listenWebSocket (handle: Handle, host: string, port: number, maxPayload: number): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt with subprotocol mqtt\n')
  })
  const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload })
  wss.on('connection', (socket, req) => {
    const stream = createWebSocketStream(socket)
    // A socket torn down mid-frame surfaces here; aedes reports the client error separately.
    stream.on('error', () => { socket.terminate() })
    handle(stream, req)
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

/**
 * Connections the kernel may hold for us before accept (Linux caps it at net.core.somaxconn).
 * Node's default, 511, overflowed in a reconnect storm while the loop was busy (`dmesg`:
 * "Possible SYN flooding"); a dropped handshake is retried by the device's TCP only after
 * 1, 3, 7 … s, which, not CPU, made up most of the tail of a 10 000-gauge storm (bench/storm).
 */
const LISTEN_BACKLOG = 65_535

async function listen (server: NetServer | HttpServer, host: string, port: number, name: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new MimamoriError('MIMAMORI_ERR_LISTEN', `${name}: cannot listen on ${host}:${port} (${err.code ?? err.message})`, { cause: err }))
    }
    server.once('error', onError)
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
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
