import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import sharp from 'sharp'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { apiFetch } from '../helpers/auth.js'

const img = (name: string): Buffer => readFileSync(join(SHARED, 'images', name))
const LAT = 38.69
const LON = 139.79

interface Intake { mailbox: string, password: string, uploadPath: string }
interface SightingJson { id: string, cameraId: string, positives: number, frames: number, suppressed: boolean, hunters: string[], alertId: string | null }

/**
 * A trail camera bought at a home centre: commissioned on the fleet API, it mails a
 * photo from ../shared/images to the SMTP intake with a real SMTP client (nodemailer,
 * STARTTLS on a certificate made for the test); the photo goes through the same
 * pipeline as our cameras (real model) to a sighting and a hunter's alert. Each
 * refusal is coded, counted and leaves nothing stored. The HTTP upload does the same.
 */
describe('trail cameras: SMTP intake and HTTP upload', () => {
  let t: TestApp
  let dir: string
  let cam: Intake
  let other: Intake
  const api = async <T>(path: string, body?: unknown): Promise<{ status: number, body: T }> => {
    const res = await apiFetch(t.info.dashboardUrl + path, body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as T }
  }
  const mailer = (user: string, pass: string, o: { tls?: boolean } = {}) => nodemailer.createTransport({
    host: '127.0.0.1', port: t.info.smtpPort!, secure: false, requireTLS: o.tls !== false, ignoreTLS: o.tls === false,
    tls: { rejectUnauthorized: false }, auth: { user, pass }
  })
  const refused = (code: string): number => t.app.intake!.stats.refused[code as 'MIMAMORI_ERR_INTAKE_AUTH'] ?? 0
  const imagesOf = async (id: string): Promise<unknown> => (await api<Array<{ id: string, latest: unknown }>>('/api/cameras')).body.find(c => c.id === id)?.latest ?? null

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mimamori-trail-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
    t = await startTestApp({
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 1 },
      intake: {
        smtp: { enabled: true, port: 0, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), maxMessageBytes: 400_000, maxPhotos: 3 },
        http: { enabled: true, port: 0 }
      }
    })
    expect((await api('/api/hunters', { id: 'hunter-trail', name: '加藤' })).status).toBe(201)
    expect((await api('/api/hunters/hunter-trail/areas', { name: '山際', shape: { type: 'circle', lat: LAT, lon: LON, radiusM: 1500 } })).status).toBe(201)
    const made = await api<{ credentials: { intake: Intake } }>('/api/fleet/cameras', { id: 'trail-01', name: '山際 トレイルカメラ', nameEn: 'Yamagiwa trail camera', lat: LAT, lon: LON, trail: true })
    expect(made.status).toBe(201)
    cam = made.body.credentials.intake
    expect(cam).toMatchObject({ mailbox: 'trail-01', uploadPath: '/intake/cameras/trail-01/photos' })
    other = (await api<{ credentials: { intake: Intake } }>('/api/fleet/cameras', { id: 'trail-02', name: '第二', nameEn: 'Second', lat: 35, lon: 135, trail: true })).body.credentials.intake
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a monkey photo mailed over STARTTLS becomes a sighting and a hunter alert', async () => {
    const info = await mailer(cam.mailbox, cam.password).sendMail({
      from: 'camera@example.invalid', to: 'trail-01@mimamori.invalid', subject: 'IMG_0001', text: 'HC-801M',
      attachments: [{ filename: 'IMG_0001.JPG', content: img('monkey_09.jpg'), contentType: 'image/jpeg' }]
    })
    expect(info.response).toMatch(/^250 .*accepted burst mail-/)
    const s = await waitFor(async () => (await api<SightingJson[]>('/api/wildlife/sightings?cameraId=trail-01')).body[0], 'sighting at the trail camera', 60_000)
    expect(s).toMatchObject({ cameraId: 'trail-01', frames: 1, positives: 1, suppressed: false, hunters: ['hunter-trail'] })
    expect(s.alertId).not.toBeNull()
    // the hunter's own alert list (sightings in their areas that alerted)
    const mine = await api<Array<{ id: string, alertId: string }>>('/api/hunters/hunter-trail/alerts')
    expect(mine.body.map(a => a.alertId)).toEqual([s.alertId])
    expect((await api<{ kind: string, state: string }>(`/api/alerts/${s.alertId!}`)).body).toMatchObject({ kind: 'wildlife', state: 'firing' })
    expect(t.app.intake!.stats).toMatchObject({ accepted: 1, photos: 1 })
  })

  it('refuses, with a coded error, counted, storing nothing: wrong password, unknown camera, no TLS, no photo, too large, too many, a broken photo', async () => {
    const attempt = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p
      } catch (err) {
        return `${(err as { responseCode?: number }).responseCode ?? ''} ${(err as Error).message}`
      }
      throw new Error('the mail was accepted')
    }
    const photo = { filename: 'a.jpg', content: img('none_01.jpg'), contentType: 'image/jpeg' }
    const mail = { from: 'c@example.invalid', to: 'trail-02@mimamori.invalid', subject: 'x' }
    expect(await attempt(mailer(other.mailbox, 'wrong-password').sendMail({ ...mail, attachments: [photo] }))).toMatch(/^535 .*MIMAMORI_ERR_INTAKE_AUTH/)
    expect(await attempt(mailer('no-such-camera', other.password).sendMail({ ...mail, attachments: [photo] }))).toMatch(/MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA/)
    // without STARTTLS the password is not accepted at all
    expect(await attempt(mailer(other.mailbox, other.password, { tls: false }).sendMail({ ...mail, attachments: [photo] }))).toMatch(/^53\d /)
    const ok = mailer(other.mailbox, other.password)
    expect(await attempt(ok.sendMail({ ...mail, text: 'no photo today' }))).toMatch(/^554 .*MIMAMORI_ERR_INTAKE_NO_PHOTO/)
    const big = await sharp({ create: { width: 1200, height: 1200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg({ quality: 100 }).toBuffer()
    expect(await attempt(ok.sendMail({ ...mail, attachments: [{ filename: 'big.jpg', content: big }] }))).toMatch(/^552 .*MIMAMORI_ERR_INTAKE_TOO_LARGE/)
    const small = await sharp(img('none_01.jpg')).resize(64).jpeg().toBuffer()
    expect(await attempt(ok.sendMail({ ...mail, attachments: [0, 1, 2, 3].map(i => ({ filename: `${i}.jpg`, content: small, contentType: 'image/jpeg' })) }))).toMatch(/^552 .*MIMAMORI_ERR_INTAKE_TOO_MANY_PHOTOS/)
    // one good photo and one broken one: nothing of the mail is kept
    const broken = { filename: 'b.jpg', content: img('none_01.jpg').subarray(0, 400), contentType: 'image/jpeg' }
    expect(await attempt(ok.sendMail({ ...mail, attachments: [photo, broken] }))).toMatch(/^554 .*MIMAMORI_ERR_IMAGE_/)
    expect(await attempt(ok.sendMail({ ...mail, to: 'trail-01@mimamori.invalid', attachments: [photo] }))).toMatch(/MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA/)

    expect(await imagesOf('trail-02')).toBeNull()
    expect(refused('MIMAMORI_ERR_INTAKE_AUTH')).toBe(1)
    expect(refused('MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA')).toBe(2)
    expect(refused('MIMAMORI_ERR_INTAKE_NO_PHOTO')).toBe(1)
    expect(refused('MIMAMORI_ERR_INTAKE_TOO_LARGE')).toBe(1)
    expect(refused('MIMAMORI_ERR_INTAKE_TOO_MANY_PHOTOS')).toBe(1)
    const metrics = await (await apiFetch(t.info.dashboardUrl + '/metrics')).text()
    expect(metrics).toMatch(/mimamori_rejected_total\{code="MIMAMORI_ERR_INTAKE_AUTH"\} 1/)
  })

  it('HTTP upload with the camera token: stored with its EXIF time; a wrong token or a non-photo is refused', async () => {
    const url = t.info.intakeUrl! + other.uploadPath
    const bad = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'image/jpeg' }, body: new Uint8Array(img('none_01.jpg')) })
    expect(bad.status).toBe(401)
    expect(await bad.json()).toMatchObject({ code: 'MIMAMORI_ERR_INTAKE_AUTH' })
    const text = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${other.password}`, 'content-type': 'text/plain' }, body: 'hello' })
    expect(text.status).toBe(422)
    expect(await imagesOf('trail-02')).toBeNull()

    // the camera's clock (JST, no zone in EXIF) ten minutes ago, to the second
    const shot = new Date(Math.floor(Date.now() / 1000) * 1000 - 600_000)
    const jst = new Date(shot.getTime() + 9 * 3_600_000).toISOString().replace(/-/g, ':').replace('T', ' ').slice(0, 19)
    const withExif = await sharp(img('none_01.jpg')).withExif({ IFD2: { DateTimeOriginal: jst } }).jpeg({ quality: 95 }).toBuffer()
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${other.password}`, 'content-type': 'image/jpeg', 'x-photo-id': 'IMG_0042' }, body: new Uint8Array(withExif) })
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ cameraId: 'trail-02', capturedAt: shot.toISOString() })
    const latest = await waitFor(async () => await imagesOf('trail-02') as { time: string } | null ?? undefined, 'uploaded photo stored')
    expect(latest.time).toBe(shot.toISOString())
    await waitFor(async () => (await api<unknown[]>(`/api/wildlife/detections?cameraId=trail-02&from=${new Date(shot.getTime() - 1000).toISOString()}&to=${new Date(shot.getTime() + 1000).toISOString()}`)).body.length === 1 ? true : undefined, 'the upload analysed', 60_000)
  })
})
