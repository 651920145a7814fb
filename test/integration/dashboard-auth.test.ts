import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { ROLES, type Role } from '../../dashboard/server/auth/access.js'
import { openAccounts } from '../../dashboard/server/auth/accounts.js'
import { createDashboard } from '../../dashboard/server/index.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { addUser, injectAs, injectLogin, TEST_PASSWORD, tokenFor } from '../helpers/auth.js'
import { openSse } from '../helpers/sse.js'

/** a concrete URL for a route pattern: every parameter becomes "x" */
const concrete = (url: string): string => url.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'x')
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/**
 * The one access hook against the real dashboard (inject(), then real HTTP for
 * SSE and binds): every route × role, CSRF from another origin, session
 * fixation, expired and read-only tokens, brute force on the sign-in, SSE caps,
 * the start-up refusal without an admin, and the audit log.
 */
describe('dashboard accounts and the access hook', () => {
  let t: TestApp
  let app: FastifyInstance
  const tokens = {} as Record<Role, string>

  beforeAll(async () => {
    t = await startTestApp({ dashboard: { sse: { maxPerUser: 2 }, auth: { loginMaxPerAccount: 5, loginMaxPerAddress: 12 } } })
    app = t.app.dashboard!.app
    for (const role of ROLES) tokens[role] = await tokenFor(t.config, `u-${role}`, role, role === 'hunter' ? { hunterId: 'hunter-x' } : {})
  })
  afterAll(async () => { await t?.close() })

  it('every route declares its access; none is left to chance', () => {
    const undeclared = app.accessTable.filter(r => r.access === undefined).map(r => `${r.method} ${r.url}`)
    expect(undeclared).toEqual([])
    expect(app.accessTable.length).toBeGreaterThan(30)
  })

  it('401 without credentials on every non-public route, 403 for every role the route does not list', async () => {
    const routes = app.accessTable.filter(r => r.access !== 'public')
    for (const r of routes) {
      const url = concrete(r.url)
      const none = await app.inject({ method: r.method as 'GET', url })
      expect(none.statusCode, `${r.method} ${r.url} without credentials`).toBe(401)
      expect(none.json()).toMatchObject({ code: 'MIMAMORI_ERR_UNAUTHENTICATED' })
      for (const role of ROLES) {
        const allowed = r.access !== undefined && r.access !== 'public' && r.access.includes(role)
        // an allowed stream would stay open: those are tested over HTTP below
        if (allowed && r.stream) continue
        const res = await app.inject({ method: r.method as 'GET', url, headers: bearer(tokens[role]), ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { payload: {} }) })
        if (!allowed) {
          expect(res.statusCode, `${r.method} ${r.url} as ${role}`).toBe(403)
          expect(res.json()).toMatchObject({ code: 'MIMAMORI_ERR_FORBIDDEN' })
        } else {
          expect(res.statusCode, `${r.method} ${r.url} as ${role}: ${res.body.slice(0, 200)}`).not.toBe(401)
        }
      }
    }
  })

  it('pages, scripts and /healthz stay public, data does not', async () => {
    for (const url of ['/', '/login.html', '/hunter.html', '/admin.html', '/healthz', '/auth.css']) {
      expect((await app.inject({ url })).statusCode, url).toBe(200)
    }
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await app.inject({ url: '/metrics', headers: bearer(tokens.researcher) })).statusCode).toBe(200)
    expect((await app.inject({ url: '/api/cameras/cam-yutagawa-01/latest.jpg' })).statusCode).toBe(401)
  })

  it('bad bodies get 400 and oversized ones 413, after the access check', async () => {
    const station = t.config.stations[0]!.id
    const bad = await app.inject({ method: 'POST', url: `/api/stations/${station}/downlink`, headers: bearer(tokens.staff), payload: { mode: 'sleep', reason: 'x' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'MIMAMORI_ERR_BAD_REQUEST' })
    const noReason = await app.inject({ method: 'POST', url: `/api/stations/${station}/downlink`, headers: bearer(tokens.staff), payload: { mode: 'maintenance' } })
    expect(noReason.statusCode).toBe(400)
    const huge = await app.inject({ method: 'POST', url: '/api/hunters', headers: { ...bearer(tokens.staff), 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(70_000) }) })
    expect(huge.statusCode).toBe(413)
    const notJson = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' })
    expect(notJson.statusCode).toBe(400)
    // the access check comes first: an anonymous oversized body is refused as anonymous
    expect((await app.inject({ method: 'POST', url: '/api/hunters', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(70_000) }) })).statusCode).toBe(401)
  })

  it('a cookie session writes only with its CSRF token and never from another origin', async () => {
    await addUser(t.config, 'csrf-staff', 'staff')
    const s = await injectLogin(app, 'csrf-staff')
    const body = { id: 'csrf-hunter', name: 'テスト' }
    const noToken = await app.inject({ method: 'POST', url: '/api/hunters', headers: { cookie: s.cookie }, payload: body })
    expect(noToken.statusCode).toBe(403)
    expect(noToken.json()).toMatchObject({ code: 'MIMAMORI_ERR_CSRF' })
    const wrongToken = await app.inject({ method: 'POST', url: '/api/hunters', headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(32) }, payload: body })
    expect(wrongToken.statusCode).toBe(403)
    // another site's page: the browser sends the cookie (SameSite=Lax does not cover every case) and its Origin
    const evil = await app.inject({ method: 'POST', url: '/api/hunters', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'http://evil.example' }, payload: body })
    expect(evil.statusCode).toBe(403)
    expect(evil.json()).toMatchObject({ code: 'MIMAMORI_ERR_CSRF' })
    const crossSite = await app.inject({ method: 'POST', url: '/api/hunters', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'sec-fetch-site': 'cross-site' }, payload: body })
    expect(crossSite.statusCode).toBe(403)
    // sign-in itself from another origin (login CSRF)
    expect((await app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin: 'http://evil.example' }, payload: { username: 'csrf-staff', password: TEST_PASSWORD } })).statusCode).toBe(403)
    const ok = await injectAs(app, s, { method: 'POST', url: '/api/hunters', headers: { origin: 'http://localhost:80', host: 'localhost:80' }, payload: body })
    expect(ok.statusCode, ok.body).toBe(201)
    // reads need no token
    expect((await app.inject({ url: '/api/hunters', headers: { cookie: s.cookie } })).statusCode).toBe(200)
  })

  it('session cookies are HttpOnly and SameSite=Lax; sign-out ends the session', async () => {
    await addUser(t.config, 'cookie-staff', 'staff')
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'cookie-staff', password: TEST_PASSWORD } })
    const c = res.cookies.find(x => x.name === 'mimamori_sid')!
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
    expect(c.secure).toBeFalsy() // plain http here; Secure under TLS or a proxy that says https
    const s = { cookie: `mimamori_sid=${c.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken }
    expect((await injectAs(app, s, { method: 'POST', url: '/api/auth/logout' })).statusCode).toBe(204)
    expect((await injectAs(app, s, { url: '/api/auth/me' })).statusCode).toBe(401)
  })

  it('session fixation: a planted session id never becomes a signed-in one', async () => {
    await addUser(t.config, 'victim', 'staff')
    await addUser(t.config, 'attacker', 'researcher')
    // the attacker signs in and plants their cookie in the victim's browser
    const planted = await injectLogin(app, 'attacker')
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { cookie: planted.cookie }, payload: { username: 'victim', password: TEST_PASSWORD } })
    expect(res.statusCode).toBe(200)
    const fresh = res.cookies.find(x => x.name === 'mimamori_sid')!
    expect(`mimamori_sid=${fresh.value}`).not.toBe(planted.cookie)
    // the planted id is gone: it is neither the victim nor the attacker any more
    expect((await app.inject({ url: '/api/auth/me', headers: { cookie: planted.cookie } })).statusCode).toBe(401)
    expect((await app.inject({ url: '/api/auth/me', headers: { cookie: `mimamori_sid=${fresh.value}` } })).json()).toMatchObject({ username: 'victim', role: 'staff' })
    // a made-up id is not accepted either
    expect((await app.inject({ url: '/api/auth/me', headers: { cookie: 'mimamori_sid=made-up.signature' } })).statusCode).toBe(401)
  })

  it('API tokens: expired, revoked, of a disabled user → 401; read-only tokens cannot write', async () => {
    const file = resolve(t.config.dataDir, t.config.store.file)
    const token = await tokenFor(t.config, 'grafana', 'researcher', { scope: 'read' })
    expect((await app.inject({ url: '/api/stations', headers: bearer(token) })).statusCode).toBe(200)
    const write = await tokenFor(t.config, 'script-staff', 'staff', { scope: 'read' })
    expect((await app.inject({ method: 'POST', url: '/api/hunters', headers: bearer(write), payload: { name: 'x' } })).statusCode).toBe(403)
    const accounts = openAccounts(file)
    try {
      const id = /^mmr_([0-9a-f]{12})_/.exec(token)![1]!
      accounts.db.prepare('UPDATE api_tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1, id)
      const expired = await app.inject({ url: '/api/stations', headers: bearer(token) })
      expect(expired.statusCode).toBe(401)
      expect(expired.json()).toMatchObject({ code: 'MIMAMORI_ERR_UNAUTHENTICATED' })
      const other = await tokenFor(t.config, 'script-2', 'staff')
      accounts.revokeToken(/^mmr_([0-9a-f]{12})_/.exec(other)![1]!)
      expect((await app.inject({ url: '/api/stations', headers: bearer(other) })).statusCode).toBe(401)
      const third = await tokenFor(t.config, 'script-3', 'staff')
      accounts.setDisabled('script-3', true)
      expect((await app.inject({ url: '/api/stations', headers: bearer(third) })).statusCode).toBe(401)
    } finally {
      accounts.close()
    }
    expect((await app.inject({ url: '/api/stations', headers: { authorization: 'Bearer mmr_000000000000_' + 'A'.repeat(32) } })).statusCode).toBe(401)
    expect((await app.inject({ url: '/api/stations', headers: { authorization: 'Basic Zm9vOmJhcg==' } })).statusCode).toBe(401)
  })

  it('brute force on sign-in: the same answer for an unknown user and a wrong password, then 429 per account and per address', async () => {
    await addUser(t.config, 'target', 'staff')
    const login = async (username: string, password: string, ip = '10.0.0.1') =>
      await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { username, password } })
    const unknown = await login('no-such-user', 'wrong password 1', '10.0.0.9')
    const wrong = await login('target', 'wrong password 1', '10.0.0.9')
    expect(unknown.statusCode).toBe(401)
    expect(wrong.statusCode).toBe(401)
    expect(unknown.json()).toEqual(wrong.json())
    // per account (limit 5 in this test): from several addresses, so only the account counter trips
    for (let i = 2; i <= 5; i++) expect((await login('target', `wrong password ${i}`, `10.0.1.${i}`)).statusCode).toBe(401)
    const throttled = await login('target', TEST_PASSWORD, '10.0.2.1')
    expect(throttled.statusCode).toBe(429)
    expect(throttled.json()).toMatchObject({ code: 'MIMAMORI_ERR_RATE_LIMITED' })
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0)
    // per address (limit 12): many names from one address
    for (let i = 0; i < 12; i++) expect((await login(`spray-${i}`, 'password123456', '10.0.3.1')).statusCode).toBe(401)
    expect((await login('csrf-staff', TEST_PASSWORD, '10.0.3.1')).statusCode).toBe(429)
    // another address and account are unaffected
    expect((await login('victim', TEST_PASSWORD, '10.0.4.1')).statusCode).toBe(200)
    // the failures are in the audit log, without the password
    const audit = await app.inject({ url: '/api/admin/audit?action=login&limit=1000', headers: bearer(tokens.admin) })
    const failed = (audit.json() as Array<{ ip: string, detail: { status: number, body: { username: string, password: string } } }>).filter(e => e.detail.status === 401)
    expect(failed.length).toBeGreaterThan(10)
    expect(failed.every(e => e.detail.body.password === '***')).toBe(true)
  })

  it('hunters reach only their own profile; researchers cannot act', async () => {
    expect((await app.inject({ url: '/api/hunters/hunter-y', headers: bearer(tokens.hunter) })).statusCode).toBe(403)
    expect((await app.inject({ url: '/api/hunters/hunter-y/alerts', headers: bearer(tokens.hunter) })).statusCode).toBe(403)
    expect((await app.inject({ url: '/api/wildlife/sightings?hunterId=hunter-y', headers: bearer(tokens.hunter) })).statusCode).toBe(403)
    expect((await app.inject({ url: '/api/wildlife/sightings', headers: bearer(tokens.hunter) })).statusCode).toBe(200)
    expect((await app.inject({ url: '/api/stations', headers: bearer(tokens.hunter) })).statusCode).toBe(403)
    const station = t.config.stations[0]!.id
    expect((await app.inject({ method: 'POST', url: `/api/stations/${station}/downlink`, headers: bearer(tokens.researcher), payload: { mode: 'maintenance', reason: 'try' } })).statusCode).toBe(403)
  })

  it('audits downlinks and hunter changes with who, why and from where; admins read it in the API', async () => {
    const station = t.config.stations[0]!.id
    const dl = await app.inject({ method: 'POST', url: `/api/stations/${station}/downlink`, remoteAddress: '192.0.2.7', headers: bearer(tokens.staff), payload: { mode: 'maintenance', heartbeatHours: 24, reason: '橋梁工事のため保守' } })
    expect(dl.statusCode, dl.body).toBe(202)
    expect((await app.inject({ method: 'DELETE', url: '/api/hunters/csrf-hunter', headers: bearer(tokens.admin) })).statusCode).toBe(204)
    const res = await app.inject({ url: '/api/admin/audit?limit=50', headers: bearer(tokens.admin) })
    const rows = res.json() as Array<{ actor: string, role: string, via: string, ip: string, action: string, subject: string, detail: { status: number, body?: { reason?: string } } }>
    expect(rows.find(r => r.action === 'downlink.send')).toMatchObject({ actor: 'u-staff', role: 'staff', via: 'token', ip: '192.0.2.7', subject: station, detail: { status: 202, body: { reason: '橋梁工事のため保守' } } })
    expect(rows.find(r => r.action === 'hunter.delete')).toMatchObject({ actor: 'u-admin', subject: 'csrf-hunter', detail: { status: 204 } })
    expect((await app.inject({ url: '/api/admin/audit', headers: bearer(tokens.staff) })).statusCode).toBe(403)
  })

  it('security headers: CSP without inline script, no framing, nosniff, referrer policy', async () => {
    const res = await app.inject({ url: '/' })
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['referrer-policy']).toBe('same-origin')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
  })

  it('caps live streams per user (429), and frees the place when a stream closes', async () => {
    const url = `${t.info.dashboardUrl}/api/events`
    const a = await openSse(url, bearer(tokens.researcher))
    const b = await openSse(url, bearer(tokens.researcher))
    try {
      await expect(openSse(url, bearer(tokens.researcher))).rejects.toThrow('SSE status 429')
      // another user still gets one
      const other = await openSse(url, bearer(tokens.staff))
      other.close()
      a.close()
      const again = await waitFor(async () => await openSse(url, bearer(tokens.researcher)).catch(() => undefined), 'a place after one stream closed')
      again.close()
    } finally {
      a.close()
      b.close()
    }
  })

  it('refuses a network bind while no admin exists, and demo login anywhere but loopback', async () => {
    const accounts = openAccounts(resolve(t.config.dataDir, t.config.store.file))
    try {
      // the test app's own admins: disable them for this check
      for (const u of accounts.listUsers().filter(x => x.role === 'admin')) accounts.setDisabled(u.username, true)
      const open = (dashboard: Partial<typeof t.config.dashboard>) => createDashboard({
        config: { ...t.config, dashboard: { ...t.config.dashboard, port: 0, ...dashboard } }, logger: silentLogger(), bus: t.app.bus, store: t.app.store!, alerts: t.app.alerts!, notifier: t.app.notifications!
      })
      const exposed = open({ host: '0.0.0.0' })
      await expect(exposed.start()).rejects.toMatchObject({ code: 'MIMAMORI_ERR_NO_ADMIN', message: expect.stringContaining('mimamori user add') })
      await exposed.close()
      const demo = open({ host: '0.0.0.0', auth: { ...t.config.dashboard.auth, demoLogin: true } })
      await expect(demo.start()).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CONFIG' })
      await demo.close()
      for (const u of accounts.listUsers().filter(x => x.role === 'admin')) accounts.setDisabled(u.username, false)
      const served = open({ host: '0.0.0.0' })
      await served.start()
      await served.close()
    } finally {
      for (const u of accounts.listUsers().filter(x => x.role === 'admin')) accounts.setDisabled(u.username, false)
      accounts.close()
    }
  })

  it('demo login: loopback clients are the demo staff user; another Host (DNS rebinding) is not', async () => {
    const demo = createDashboard({
      config: { ...t.config, dashboard: { ...t.config.dashboard, port: 0, auth: { ...t.config.dashboard.auth, demoLogin: true } } }, logger: silentLogger(), bus: t.app.bus, store: t.app.store!, alerts: t.app.alerts!, notifier: t.app.notifications!
    })
    try {
      await demo.start()
      const me = await demo.app.inject({ url: '/api/auth/me', headers: { host: 'localhost:3000' } })
      expect(me.statusCode).toBe(200)
      expect(me.json()).toMatchObject({ username: 'demo', role: 'staff', demo: true })
      const rebound = await demo.app.inject({ url: '/api/auth/me', headers: { host: 'attacker.example:3000' } })
      expect(rebound.statusCode).toBe(401)
      const remote = await demo.app.inject({ url: '/api/auth/me', remoteAddress: '192.0.2.1', headers: { host: 'localhost:3000' } })
      expect(remote.statusCode).toBe(401)
      // a write still needs the session's CSRF token
      expect((await demo.app.inject({ method: 'POST', url: '/api/hunters', headers: { host: 'localhost:3000' }, payload: { name: 'x' } })).statusCode).toBe(403)
    } finally {
      await demo.close()
    }
  })
})
