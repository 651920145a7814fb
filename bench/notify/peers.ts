import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttps } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'

/** what one peer received: the idempotency key (when the channel carries one), the text, when */
export interface Received { key: string, text: string, at: number }

export interface Peer {
  url: string
  port: number
  received: Received[]
  /** while true the peer refuses (HTTP 503 / SMTP 451): a simulated outage */
  down: boolean
  close(): Promise<void>
}

/** HTTP(S) peer: webhook receiver, LINE API stand-in, push service (keys from Idempotency-Key / X-Line-Retry-Key) */
export async function httpPeer (tls: boolean): Promise<Peer> {
  const peer: Peer = { url: '', port: 0, received: [], down: false, close: async () => {} }
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (peer.down) { res.writeHead(503).end(); return }
      const key = String(req.headers['idempotency-key'] ?? req.headers['x-line-retry-key'] ?? '')
      // push bodies are encrypted: the text is not readable here, only that one arrived
      peer.received.push({ key, text: req.headers['content-encoding'] === 'aes128gcm' ? '' : Buffer.concat(chunks).toString('utf8'), at: Date.now() })
      res.writeHead(tls ? 201 : 200, { 'content-type': 'application/json' }).end('{}')
    })
  }
  let server
  if (tls) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
    server = createHttps({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, handler)
  } else {
    server = createHttp(handler)
  }
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  peer.port = (server.address() as AddressInfo).port
  peer.url = `${tls ? 'https' : 'http'}://127.0.0.1:${peer.port}`
  peer.close = async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => { resolve() })) }
  return peer
}

/** a real SMTP server (smtp-server); the key is the X-Mimamori-Key header */
export async function smtpPeer (): Promise<Peer> {
  const peer: Peer = { url: '', port: 0, received: [], down: false, close: async () => {} }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData (stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (peer.down) { callback(Object.assign(new Error('try again later'), { responseCode: 451 })); return }
        const raw = Buffer.concat(chunks).toString('utf8')
        peer.received.push({ key: /^X-Mimamori-Key: (.+)$/mi.exec(raw)?.[1]?.trim() ?? '', text: raw, at: Date.now() })
        callback()
      })
    }
  })
  // a client killed mid-session resets its connection: that is the client's problem, not the server's
  server.on('error', () => {})
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  peer.port = (server.server.address() as AddressInfo).port
  peer.close = async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }) }) }
  return peer
}
