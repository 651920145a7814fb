import { readFileSync } from 'node:fs'
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttps } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { PhotoIntake } from './photos.js'

/**
 * The trail cameras' upload endpoint: `POST /intake/cameras/{id}/photos` with
 * `Authorization: Bearer <camera secret>` and the JPEG as the body (image/jpeg).
 * Its own listener (HTTPS when a certificate is configured), apart from the
 * dashboard: a camera needs no session, and the dashboard's body limit stays small.
 * 201 once the photo is stored; refusals answer { code, message } with the code's status.
 */
const PATH = /^\/intake\/cameras\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/photos$/

export interface HttpIntake {
  start(): Promise<{ port: number, url: string }>
  close(): Promise<void>
}

function send (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readBody (req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN)
  if (Number.isFinite(declared) && declared > max) throw new MimamoriError('MIMAMORI_ERR_INTAKE_TOO_LARGE', `upload of ${declared} bytes, at most ${max}`)
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length
    if (bytes > max) throw new MimamoriError('MIMAMORI_ERR_INTAKE_TOO_LARGE', `upload of more than ${max} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export function createHttpIntake ({ config, logger, intake }: { config: Config, logger: Logger, intake: PhotoIntake }): HttpIntake {
  const c = config.intake.http
  const log = logger.child({ component: 'intake-http' })
  const tls = c.cert !== '' && c.key !== '' ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : undefined

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = PATH.exec((req.url ?? '').split('?')[0] ?? '')
    if (req.method !== 'POST' || m === null) {
      send(res, 404, { code: 'MIMAMORI_ERR_NOT_FOUND', message: 'POST /intake/cameras/{id}/photos' })
      return
    }
    const cameraId = m[1]!
    try {
      const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
      if (auth === null) throw new MimamoriError('MIMAMORI_ERR_INTAKE_AUTH', 'Authorization: Bearer <camera secret> is required')
      const camera = await intake.authenticate(cameraId, auth[1]!)
      const body = await readBody(req, config.ingest.maxImageBytes)
      const type = req.headers['content-type'] ?? ''
      if (!/^image\/(jpe?g|pjpeg)\b/i.test(type)) throw new MimamoriError('MIMAMORI_ERR_INTAKE_NO_PHOTO', `content-type ${type || '(none)'}: send the JPEG as image/jpeg`)
      const header = req.headers['x-photo-id']
      const messageId = typeof header === 'string' && header !== '' ? header : `upload-${Date.now()}-${Math.random().toString(36).slice(2)}`
      const r = await intake.accept(camera, body.length === 0 ? [] : [{ bytes: body, name: 'upload.jpg' }], { messageId, receivedAt: Date.now(), via: 'http' })
      send(res, 201, { cameraId, burstId: r.burstId, capturedAt: new Date(r.times[0]!).toISOString() })
    } catch (err) {
      const e = intake.refuse(err, `http:${cameraId}`)
      // anything but a refusal of the photo itself: try again later
      send(res, e.statusCode >= 500 ? 503 : e.statusCode, e.toJSON())
      // a refused upload may still be streaming: stop reading it
      if (!req.complete) req.destroy()
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => { log.error({ err }, 'upload handler failed'); if (!res.headersSent) send(res, 500, { code: 'MIMAMORI_ERR_INTERNAL', message: 'internal error' }) })
  }
  const server: Server = tls === undefined ? createHttp(onRequest) : createHttps(tls, onRequest)
  server.requestTimeout = 60_000
  return {
    async start () {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(c.port, c.host, () => { server.off('error', reject); resolve() })
      })
      const port = (server.address() as AddressInfo).port
      const url = `${tls === undefined ? 'http' : 'https'}://${c.host === '0.0.0.0' ? 'localhost' : c.host}:${port}`
      log.info({ url }, 'trail camera upload endpoint listening')
      return { port, url }
    },
    async close () {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
