import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, verify } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface Recorded { method: string, url: string, headers: IncomingMessage['headers'], body: Buffer, at: number }

/** A local HTTP peer that records every request; `respond` decides the status (default 200/201). */
export interface HttpPeer {
  url: string
  port: number
  requests: Recorded[]
  respond: (req: Recorded) => number
  close(): Promise<void>
}

/** a self-signed certificate for 127.0.0.1 (push services are HTTPS-only; web-push refuses http) */
export function selfSignedCert (): { cert: Buffer, key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-tls-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
}

export async function startHttpPeer (okStatus = 200, port = 0, tls?: { cert: Buffer, key: Buffer }): Promise<HttpPeer> {
  const peer: HttpPeer = {
    url: '',
    port: 0,
    requests: [],
    respond: () => okStatus,
    close: async () => { await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => { resolve() }) }) }
  }
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() }
      const status = peer.respond(r)
      if (status < 300) peer.requests.push(r)
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{}' : '{"message":"unavailable"}')
    })
  }
  const server: Server = tls === undefined ? createServer(handler) : createHttpsServer(tls, handler)
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  peer.port = (server.address() as AddressInfo).port
  peer.url = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${peer.port}`
  return peer
}

/** A browser's side of a push subscription: the P-256 key pair and auth secret the payload is encrypted to. */
export function browserSubscription (endpoint: string): { json: string, privateKey: Buffer, publicKey: Buffer, auth: Buffer } {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const auth = randomBytes(16)
  const publicKey = ecdh.getPublicKey()
  return {
    json: JSON.stringify({ endpoint, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } }),
    privateKey: ecdh.getPrivateKey(),
    publicKey,
    auth
  }
}

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest()

/**
 * RFC 8291 (Message Encryption for Web Push) + RFC 8188 aes128gcm, the receiving
 * side, written here independently of the web-push library that encrypts.
 */
export function decryptAes128gcm (body: Buffer, uaPrivate: Buffer, uaPublic: Buffer, authSecret: Buffer): string {
  const salt = body.subarray(0, 16)
  const rs = body.readUInt32BE(16)
  const idlen = body[20]!
  const asPublic = body.subarray(21, 21 + idlen)
  const records = body.subarray(21 + idlen)
  if (records.length > rs) throw new Error('more than one record')
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(uaPrivate)
  const shared = ecdh.computeSecret(asPublic)
  const prkKey = hmac(authSecret, shared)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic, Buffer.from([1])])
  const ikm = hmac(prkKey, keyInfo)
  const prk = hmac(salt, ikm)
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16)
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12)
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(records.subarray(records.length - 16))
  const plain = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()])
  let end = plain.length - 1
  while (end >= 0 && plain[end] === 0) end--
  if (plain[end] !== 2) throw new Error('last-record delimiter 0x02 missing')
  return plain.subarray(0, end).toString('utf8')
}

/** RFC 8292: `vapid t=<ES256 JWT>, k=<public key>`; checks signature, audience and expiry; returns the claims */
export function verifyVapid (authorization: string | undefined, endpointOrigin: string): { aud: string, sub: string, exp: number, k: string } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '')
  if (m === null) throw new Error(`not a vapid Authorization header: ${authorization}`)
  const [h, p, s] = m[1]!.split('.')
  const k = Buffer.from(m[2]!, 'base64url')
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: k.subarray(1, 33).toString('base64url'), y: k.subarray(33, 65).toString('base64url') }, format: 'jwk' })
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))) throw new Error('VAPID signature does not verify')
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as { aud: string, sub: string, exp: number }
  if (claims.aud !== endpointOrigin) throw new Error(`aud ${claims.aud} is not ${endpointOrigin}`)
  if (claims.exp * 1000 < Date.now()) throw new Error('expired')
  return { ...claims, k: m[2]! }
}

export interface SmtpPeer {
  port: number
  mails: ParsedMail[]
  /** reply 451 (try later) to DATA while true */
  failing: boolean
  close(): Promise<void>
}

/** A real SMTP server (smtp-server), each message parsed with mailparser. */
export async function startSmtpPeer (port = 0): Promise<SmtpPeer> {
  const peer: SmtpPeer = { port: 0, mails: [], failing: false, close: async () => { await new Promise<void>(resolve => { server.close(() => { resolve() }) }) } }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData (stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (peer.failing) {
          callback(Object.assign(new Error('try again later'), { responseCode: 451 }))
          return
        }
        simpleParser(Buffer.concat(chunks)).then(mail => { peer.mails.push(mail); callback() }, (err: Error) => { callback(err) })
      })
    }
  })
  // a client killed mid-session resets its connection: that is the client's problem, not the server's
  server.on('error', () => {})
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  peer.port = (server.server.address() as AddressInfo).port
  return peer
}
