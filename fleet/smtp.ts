import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { simpleParser } from 'mailparser'
import type { Config } from '../core/config/schema.js'
import { MimamoriError, type ErrorCode } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Camera } from '../core/types.js'
import { isPhotoAttachment, type PhotoIntake } from './photos.js'

/**
 * The trail cameras' mailbox: SMTP with AUTH (user = camera id, password = the
 * camera's secret from commissioning), STARTTLS when a certificate is configured
 * (AUTH is refused before it, unless allowInsecureAuth), a SIZE limit enforced on
 * the stream and a photo-count limit. Each refusal carries its MIMAMORI_ERR_* code
 * in the SMTP reply text and is counted; a mail is answered 250 only once all its
 * photos are in the store.
 */
const SMTP_CODE: Partial<Record<ErrorCode, number>> = {
  MIMAMORI_ERR_INTAKE_AUTH: 535,
  MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA: 550,
  MIMAMORI_ERR_DEVICE_RETIRED: 550,
  MIMAMORI_ERR_INTAKE_NO_PHOTO: 554,
  MIMAMORI_ERR_INTAKE_TOO_LARGE: 552,
  MIMAMORI_ERR_INTAKE_TOO_MANY_PHOTOS: 552,
  MIMAMORI_ERR_IMAGE_CORRUPT: 554,
  MIMAMORI_ERR_IMAGE_FORMAT: 554,
  MIMAMORI_ERR_IMAGE_EMPTY: 554,
  MIMAMORI_ERR_IMAGE_DIMENSIONS: 552
}

function smtpError (e: MimamoriError): Error & { responseCode: number } {
  // anything else (storage, shutting down) is temporary: the camera sends again
  const err = new Error(`${e.code} ${e.message}`) as Error & { responseCode: number }
  err.responseCode = SMTP_CODE[e.code] ?? 451
  return err
}

export interface SmtpIntake {
  start(): Promise<{ port: number }>
  close(): Promise<void>
}

export function createSmtpIntake ({ config, logger, intake }: { config: Config, logger: Logger, intake: PhotoIntake }): SmtpIntake {
  const c = config.intake.smtp
  const log = logger.child({ component: 'intake-smtp' })
  const cameras = new Map<string, Camera>()
  const tls = c.cert !== '' && c.key !== '' ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : undefined
  const options: SMTPServerOptions = {
    name: 'mimamori',
    banner: 'mimamori trail camera intake',
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    allowInsecureAuth: c.allowInsecureAuth,
    ...(tls === undefined ? { disabledCommands: ['STARTTLS'] } : { ...tls }),
    size: c.maxMessageBytes,
    logger: false,
    // a camera's mail never takes long; a silent client is cut off
    socketTimeout: 60_000,
    onAuth (auth, session, callback) {
      intake.authenticate(auth.username ?? '', auth.password ?? '').then(camera => {
        cameras.set(session.id, camera)
        callback(null, { user: camera.id })
      }, (err: unknown) => { callback(smtpError(intake.refuse(err, `smtp:${auth.username ?? ''}`))) })
    },
    onRcptTo (address, session, callback) {
      // the camera mails its own mailbox (<camera id>@any.domain): another local part is not this camera's
      const local = address.address.split('@')[0] ?? ''
      if (local.toLowerCase() !== String(session.user ?? '').toLowerCase()) {
        callback(smtpError(intake.refuse(new MimamoriError('MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA', `mailbox ${local} is not camera ${String(session.user)}`), `smtp:${String(session.user)}`)))
        return
      }
      callback()
    },
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      let bytes = 0
      stream.on('data', (d: Buffer) => {
        // past the limit nothing more is kept; smtp-server drains the rest and sets sizeExceeded
        bytes += d.length
        if (bytes <= c.maxMessageBytes) chunks.push(d)
      })
      stream.on('error', err => { callback(err) })
      stream.on('end', () => {
        const camera = cameras.get(session.id)
        const source = `smtp:${camera?.id ?? '?'}`
        void (async () => {
          if (camera === undefined) throw new MimamoriError('MIMAMORI_ERR_INTAKE_AUTH', 'not authenticated')
          if (stream.sizeExceeded || bytes > c.maxMessageBytes) throw new MimamoriError('MIMAMORI_ERR_INTAKE_TOO_LARGE', `camera ${camera.id}: mail of more than ${c.maxMessageBytes} bytes`)
          const mail = await simpleParser(Buffer.concat(chunks), { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true })
          const photos = mail.attachments.filter(a => isPhotoAttachment(a.contentType, a.filename)).map((a, i) => ({ bytes: a.content, name: a.filename ?? `attachment-${i}` }))
          return await intake.accept(camera, photos, { messageId: mail.messageId ?? `${session.id}`, receivedAt: Date.now(), sentAt: mail.date?.getTime(), via: 'smtp' })
        })().then(r => { callback(null, `accepted burst ${r.burstId}`) }, (err: unknown) => { callback(smtpError(intake.refuse(err, source))) })
      })
    },
    onClose (session) {
      cameras.delete(session.id)
    }
  }
  const server = new SMTPServer(options)
  server.on('error', err => { log.warn({ err: err.message }, 'smtp connection error') })
  return {
    async start () {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject)
        server.listen(c.port, c.host, () => { server.server.off('error', reject); resolve() })
      })
      const port = (server.server.address() as AddressInfo).port
      log.info({ host: c.host, port, starttls: tls !== undefined }, 'trail camera SMTP intake listening')
      return { port }
    },
    async close () {
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
