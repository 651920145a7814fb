import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { createDashboard } from '../../dashboard/server/index.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { addUser, TEST_PASSWORD } from '../helpers/auth.js'

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** one HTTPS request that trusts only the test certificate */
async function https (url: string, ca: Buffer, init: { method?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body)
    const req = request(url, { method: init.method ?? 'GET', ca, headers: { ...init.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** The dashboard over TLS by configuration, and behind a reverse proxy that says https. */
describe('dashboard TLS and trusted proxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-dash-tls-'))
  const apps: TestApp[] = []
  afterAll(async () => {
    for (const a of apps) await a.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves https with the configured certificate: Secure session cookie and HSTS', async () => {
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
    const t = await startTestApp({ dashboard: { tls: { enabled: true, cert, key } } })
    apps.push(t)
    expect(t.info.dashboardUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const ca = readFileSync(cert)
    await addUser(t.config, 'tls-staff', 'staff')
    const login = await https(`${t.info.dashboardUrl}/api/auth/login`, ca, { method: 'POST', body: { username: 'tls-staff', password: TEST_PASSWORD } })
    expect(login.status).toBe(200)
    // the session cookie among those set at sign-in (the known-device cookie is another)
    const cookie = String([login.headers['set-cookie']].flat().find(c => String(c).startsWith('mimamori_sid=')))
    expect(cookie).toMatch(/^mimamori_sid=/)
    expect(cookie).toContain('Secure')
    expect(cookie).toContain('HttpOnly')
    expect(String(login.headers['strict-transport-security'])).toContain('max-age=')
    const me = await https(`${t.info.dashboardUrl}/api/auth/me`, ca, { headers: { cookie: cookie.split(';')[0]! } })
    expect(JSON.parse(me.body)).toMatchObject({ username: 'tls-staff' })
  })

  it('refuses TLS on without a readable certificate, with a coded error', () => {
    const t = apps[0]!
    const tls = { enabled: true, cert: join(dir, 'missing.pem'), key: join(dir, 'missing.key') }
    expect(() => createDashboard({ config: { ...t.config, dashboard: { ...t.config.dashboard, tls } }, logger: silentLogger(), bus: t.app.bus, store: t.app.store!, alerts: t.app.alerts!, notifier: t.app.notifications! }))
      .toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_TLS' }))
  })

  it('behind a trusted proxy: X-Forwarded-Proto https makes the cookie Secure, X-Forwarded-For is the address audited', async () => {
    const t = await startTestApp({ dashboard: { trustProxy: '127.0.0.1' } })
    apps.push(t)
    const app = t.app.dashboard!.app
    await addUser(t.config, 'proxy-staff', 'staff')
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' }, payload: { username: 'proxy-staff', password: 'wrong password!' } })
    expect(res.statusCode).toBe(401)
    const ok = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' }, payload: { username: 'proxy-staff', password: TEST_PASSWORD } })
    expect(ok.cookies.find(c => c.name === 'mimamori_sid')?.secure).toBe(true)
    const audit = await app.inject({ url: '/api/admin/audit?action=login', headers: { authorization: `Bearer ${t.token}` } })
    expect((audit.json() as Array<{ ip: string }>).map(e => e.ip)).toEqual(['203.0.113.9', '203.0.113.9'])
    // an untrusted peer cannot claim another address
    const direct = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '198.51.100.1', headers: { 'x-forwarded-for': '203.0.113.10' }, payload: { username: 'proxy-staff', password: 'wrong again!!' } })
    expect(direct.statusCode).toBe(401)
    const latest = (await app.inject({ url: '/api/admin/audit?action=login&limit=1', headers: { authorization: `Bearer ${t.token}` } })).json() as Array<{ ip: string }>
    expect(latest[0]?.ip).toBe('198.51.100.1')
  })
})
