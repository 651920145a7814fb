import { writeFileSync } from 'node:fs'
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http'
import { connect, createServer as createTcpServer } from 'node:net'
import { join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.js'
import { ROLES, type Role } from '../../dashboard/server/auth/access.js'
import { openAccounts } from '../../dashboard/server/auth/accounts.js'
import { createDashboard } from '../../dashboard/server/index.js'
import { startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { addUser, injectAs, injectLogin, TEST_PASSWORD, tokenFor } from '../helpers/auth.js'
import { openSse } from '../helpers/sse.js'
import { matrixMismatches, readRoleMatrix } from '../helpers/role-matrix.js'
import { userCommand } from '../../cli/user.js'

/** nginx without `proxy_set_header Host`: every request reaches the dashboard from loopback with Host 127.0.0.1:port */
async function hostRewritingProxy (target: number): Promise<{ port: number, close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const up = httpRequest({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${target}` } }, r => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', () => { res.destroy() })
    req.pipe(up)
  })
  return await listening(server)
}

/** a TCP forwarder (socat, ssh -L, a port-forwarding router rule): bytes only, the peer is loopback */
async function tcpForwarder (target: number): Promise<{ port: number, close(): Promise<void> }> {
  const open = new Set<import('node:net').Socket>()
  const server = createTcpServer(socket => {
    const up = connect(target, '127.0.0.1')
    for (const s of [socket, up]) {
      open.add(s)
      s.on('close', () => { open.delete(s) })
    }
    socket.pipe(up).pipe(socket)
    up.on('error', () => { socket.destroy() })
    socket.on('error', () => { up.destroy() })
  })
  const l = await listening(server)
  // keep-alive connections of the client would hold close() open
  return { port: l.port, close: async () => { for (const s of open) s.destroy(); await l.close() } }
}

async function listening (server: Server | ReturnType<typeof createTcpServer>): Promise<{ port: number, close(): Promise<void> }> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: async () => {
      if ('closeAllConnections' in server) server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

/** the session cookie a fetch() answer set, as a Cookie header value */
const sessionCookie = (res: Response): string | undefined => res.headers.getSetCookie().map(c => c.split(';')[0]!).find(c => c.startsWith('mimamori_sid='))

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

  it("docs/api.md's role matrix is the access every registered route declares (and lists no route that does not exist)", () => {
    const rows = readRoleMatrix()
    expect(rows.length).toBeGreaterThan(30)
    expect(matrixMismatches(app.accessTable, rows, { demo: false })).toEqual([])
  })

  it('the CAP feed is public (as CAP feeds are: relays, media and apps read it without an account); server-info says how this server is reached', async () => {
    const feed = await app.inject({ url: '/api/cap/feed.atom' })
    expect(feed.statusCode).toBe(200)
    expect(feed.headers['content-type']).toContain('application/atom+xml')
    const info = await app.inject({ url: '/api/server-info' })
    expect(info.statusCode).toBe(200)
    expect(info.json()).toEqual({ secure: false, networkBind: false, demo: false })
    // behind a trusted proxy the browser's https is what counts; here no proxy is trusted, so the header is ignored
    expect((await app.inject({ url: '/api/server-info', headers: { 'x-forwarded-proto': 'https' } })).json()).toMatchObject({ secure: false })
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

  it('an admin lifts the MQTT brute-force limits (audited); /metrics counts the CONNECT checks', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/admin/mqtt-unlock', headers: bearer(tokens.admin), payload: { target: '10.0.0.7' } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ cleared: 0 })
    expect((await app.inject({ method: 'POST', url: '/api/admin/mqtt-unlock', headers: bearer(tokens.staff), payload: {} })).statusCode).toBe(403)
    const metrics = await app.inject({ url: '/metrics', headers: bearer(tokens.admin) })
    expect(metrics.body).toMatch(/^mimamori_broker_auth_checks_full \d+/m)
    expect(metrics.body).toMatch(/^mimamori_broker_auth_checks_skipped_address \d+/m)
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

  it('a disabled then re-enabled user gets none of their old API tokens back', async () => {
    const old = await tokenFor(t.config, 'revived', 'staff')
    expect((await app.inject({ url: '/api/stations', headers: bearer(old) })).statusCode).toBe(200)
    expect((await app.inject({ method: 'POST', url: '/api/admin/users/revived/disable', headers: bearer(tokens.admin) })).statusCode).toBe(200)
    expect((await app.inject({ url: '/api/stations', headers: bearer(old) })).statusCode).toBe(401)
    expect((await app.inject({ method: 'POST', url: '/api/admin/users/revived/enable', headers: bearer(tokens.admin) })).statusCode).toBe(200)
    const after = await app.inject({ url: '/api/stations', headers: bearer(old) })
    expect(after.statusCode).toBe(401)
    expect(after.json()).toMatchObject({ code: 'MIMAMORI_ERR_UNAUTHENTICATED' })
    const listed = (await app.inject({ url: '/api/admin/tokens', headers: bearer(tokens.admin) })).json() as Array<{ id: string, revoked: boolean }>
    expect(listed.find(x => x.id === /^mmr_([0-9a-f]{12})_/.exec(old)![1])).toMatchObject({ revoked: true })
    // a token issued after re-enabling works
    const fresh = await tokenFor(t.config, 'revived', 'staff')
    expect((await app.inject({ url: '/api/stations', headers: bearer(fresh) })).statusCode).toBe(200)
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

  it("an attacker's 50 guesses lock the account for new clients only: a browser that signed in before still signs in; an admin unlocks (audited, counted)", async () => {
    await addUser(t.config, 'bosai-sato', 'staff')
    const login = async (password: string, ip: string, cookies: Record<string, string> = {}) =>
      await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, cookies, payload: { username: 'bosai-sato', password } })
    // yesterday: 防災担当 signed in from the office PC, which keeps the known-device cookie
    const first = await login(TEST_PASSWORD, '10.20.0.5')
    expect(first.statusCode).toBe(200)
    const kd = first.cookies.find(c => c.name.startsWith('mimamori_kd_'))!
    expect(kd).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth/login' })
    expect(kd.maxAge).toBeGreaterThan(86_400 * 300)
    const office = { [kd.name]: kd.value }
    // a botnet: 50 guesses, one per address (the per-address limit never trips); limit 5 per account here
    const answers: number[] = []
    for (let i = 0; i < 50; i++) answers.push((await login(`guess-${i}-password`, `198.51.100.${i + 1}`)).statusCode)
    expect(answers.filter(c => c === 401)).toHaveLength(5)
    expect(answers.filter(c => c === 429)).toHaveLength(45)
    // a new client with the right password waits (no password check happens at all) …
    const stranger = await login(TEST_PASSWORD, '10.20.0.99')
    expect(stranger.statusCode).toBe(429)
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0)
    // … the office PC does not, even from an address the attacker shares (one NAT for the town hall)
    expect((await login(TEST_PASSWORD, '10.20.0.5', office)).statusCode).toBe(200)
    expect((await login(TEST_PASSWORD, '198.51.100.1', office)).statusCode).toBe(200)
    // a forged or another account's cookie is just a new client
    expect((await login(TEST_PASSWORD, '10.20.0.98', { [kd.name]: kd.value.slice(0, -2) + 'xx' })).statusCode).toBe(429)
    // the admin sees the lock, a staff member cannot lift it
    const users = (await app.inject({ url: '/api/admin/users', headers: bearer(tokens.admin) })).json() as Array<{ username: string, locked: boolean }>
    expect(users.find(u => u.username === 'bosai-sato')).toMatchObject({ locked: true })
    const metrics = (await app.inject({ url: '/metrics', headers: bearer(tokens.researcher) })).body
    expect(Number(/^mimamori_dashboard_login_throttled_total\{reason="account"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(46)
    expect(Number(/^mimamori_dashboard_login_known_device_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2)
    expect(Number(/^mimamori_dashboard_locked_accounts (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1)
    expect((await app.inject({ method: 'POST', url: '/api/admin/users/bosai-sato/unlock', headers: bearer(tokens.staff) })).statusCode).toBe(403)
    const unlock = await app.inject({ method: 'POST', url: '/api/admin/users/bosai-sato/unlock', remoteAddress: '10.20.0.1', headers: bearer(tokens.admin) })
    expect(unlock.statusCode).toBe(200)
    expect(unlock.json()).toMatchObject({ username: 'bosai-sato', locked: false })
    expect((await app.inject({ method: 'POST', url: '/api/admin/users/nobody-here/unlock', headers: bearer(tokens.admin) })).statusCode).toBe(404)
    expect((await login(TEST_PASSWORD, '10.20.0.99')).statusCode).toBe(200)
    const audit = (await app.inject({ url: '/api/admin/audit?action=user.unlock', headers: bearer(tokens.admin) })).json() as Array<{ actor: string, subject: string, ip: string, detail: { status: number } }>
    expect(audit.find(e => e.subject === 'bosai-sato' && e.detail.status === 200)).toMatchObject({ actor: 'u-admin', ip: '10.20.0.1' })
    expect(Number(/^mimamori_dashboard_account_unlocks_total\{via="admin"\} (\d+)/m.exec((await app.inject({ url: '/metrics', headers: bearer(tokens.researcher) })).body)?.[1])).toBe(1)
  })

  it('`mimamori user unlock NAME` lifts the lock of the running dashboard (through the audit log), audited as the OS user', async () => {
    await addUser(t.config, 'bosai-kato', 'staff')
    const login = async (password: string, ip: string) => await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { username: 'bosai-kato', password } })
    for (let i = 0; i < 8; i++) await login(`guess-${i}-password`, `203.0.113.${i + 1}`)
    expect((await login(TEST_PASSWORD, '10.30.0.1')).statusCode).toBe(429)
    const file = join(t.dataDir, 'cli-config.json')
    writeFileSync(file, JSON.stringify({ dataDir: t.dataDir, store: { file: t.config.store.file } }))
    let printed = ''
    expect(await userCommand(['unlock', 'bosai-kato', '--config', file], s => { printed += s })).toBe(0)
    expect(printed).toContain('bosai-kato')
    // the dashboard reads the audit log at most once a second per locked account
    await waitFor(async () => (await login(TEST_PASSWORD, '10.30.0.1')).statusCode === 200 ? true : undefined, 'sign-in after the CLI unlock')
    const audit = (await app.inject({ url: '/api/admin/audit?action=user.unlock', headers: bearer(tokens.admin) })).json() as Array<{ actor: string | null, via: string, subject: string }>
    expect(audit.find(e => e.subject === 'bosai-kato')).toMatchObject({ actor: null, via: expect.stringMatching(/^cli:/) })
  })

  it('failures are counted before the password check: 20 parallel guesses get at most the limit of password checks', async () => {
    await addUser(t.config, 'bosai-ito', 'staff')
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
      (await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: `192.0.2.${100 + i}`, payload: { username: 'bosai-ito', password: `parallel-guess-${i}` } })).statusCode))
    expect(answers.filter(c => c === 401)).toHaveLength(5)
    expect(answers.filter(c => c === 429)).toHaveLength(15)
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
      // the test app's own admins: switched off for this check by the flag alone (accounts.setDisabled would also
      // revoke their API tokens for good, which the other tests of this file still use)
      const adminsOff = (off: boolean): void => { accounts.db.prepare("UPDATE users SET disabled = ? WHERE role = 'admin'").run(off ? 1 : 0) }
      adminsOff(true)
      const open = (dashboard: Partial<typeof t.config.dashboard>) => createDashboard({
        config: { ...t.config, dashboard: { ...t.config.dashboard, port: 0, ...dashboard } }, logger: silentLogger(), bus: t.app.bus, store: t.app.store!
      })
      const exposed = open({ host: '0.0.0.0' })
      await expect(exposed.start()).rejects.toMatchObject({ code: 'MIMAMORI_ERR_NO_ADMIN', message: expect.stringContaining('mimamori user add') })
      await exposed.close()
      const demo = open({ host: '0.0.0.0', auth: { ...t.config.dashboard.auth, demoLogin: true } })
      await expect(demo.start()).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CONFIG' })
      await demo.close()
      adminsOff(false)
      const served = open({ host: '0.0.0.0' })
      await served.start()
      await served.close()
    } finally {
      accounts.db.prepare("UPDATE users SET disabled = 0 WHERE role = 'admin'").run()
      accounts.close()
    }
  })

  it('demo sign-in: a Host-rewriting proxy and a TCP forwarder get no session and cannot write; the one-time link from this machine signs in, once', async () => {
    const demo = createDashboard({
      config: { ...t.config, dashboard: { ...t.config.dashboard, port: 0, auth: { ...t.config.dashboard.auth, demoLogin: true } } }, logger: silentLogger(), bus: t.app.bus, store: t.app.store!
    })
    const relays: Array<{ port: number, close(): Promise<void> }> = []
    try {
      const info = await demo.start()
      expect(info.demoLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/auth\/demo\?token=[A-Za-z0-9_-]{43}$/)
      expect(matrixMismatches(demo.app.accessTable, readRoleMatrix(), { demo: true })).toEqual([])
      // the sign-in page learns that the link, not a password, is the way in
      expect((await demo.app.inject({ url: '/api/server-info' })).json()).toEqual({ secure: false, networkBind: false, demo: true })
      relays.push(await hostRewritingProxy(info.port), await tcpForwarder(info.port))
      for (const relay of relays) {
        const base = `http://127.0.0.1:${relay.port}`
        // what the remote browser sees: pages, but no session and no data
        const page = await fetch(`${base}/`)
        expect(page.status).toBe(200)
        expect(sessionCookie(page)).toBeUndefined()
        const me = await fetch(`${base}/api/auth/me`)
        expect(me.status).toBe(401)
        expect(sessionCookie(me)).toBeUndefined()
        const write = await fetch(`${base}/api/hunters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'proxied', name: 'x' }) })
        expect(write.status).toBe(401)
        // guessing the link gets nowhere either
        const guess = await fetch(`${base}/api/auth/demo?token=${'A'.repeat(43)}`, { redirect: 'manual' })
        expect(guess.status).toBe(403)
        expect(sessionCookie(guess)).toBeUndefined()
        expect((await fetch(`${base}/api/auth/demo`, { redirect: 'manual' })).status).toBe(400)
      }
      // the link as printed, opened in a browser on this machine: an ordinary session cookie
      const signIn = await fetch(info.demoLink!, { redirect: 'manual' })
      expect(signIn.status).toBe(303)
      expect(signIn.headers.get('location')).toBe('/')
      const cookie = sessionCookie(signIn)!
      expect(signIn.headers.getSetCookie().find(c => c.startsWith('mimamori_sid='))).toMatch(/HttpOnly/i)
      const origin = `http://127.0.0.1:${info.port}`
      const me = await fetch(`${origin}/api/auth/me`, { headers: { cookie } })
      expect(me.status).toBe(200)
      const who = await me.json() as { username: string, role: string, demo: boolean, csrfToken: string }
      expect(who).toMatchObject({ username: 'demo', role: 'staff', demo: true })
      const created = await fetch(`${origin}/api/hunters`, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json', 'x-csrf-token': who.csrfToken }, body: JSON.stringify({ id: 'demo-made', name: 'デモ' }) })
      expect(created.status).toBe(201)
      // spent: the same link signs nobody in again
      const again = await fetch(info.demoLink!, { redirect: 'manual' })
      expect(again.status).toBe(403)
      expect(sessionCookie(again)).toBeUndefined()
      // the demo cookie counts only from this machine (a copied cookie from elsewhere is nothing)
      expect((await demo.app.inject({ url: '/api/auth/me', remoteAddress: '192.0.2.1', headers: { cookie } })).statusCode).toBe(401)
      // the link from another machine is refused without spending anything (the token is checked only from loopback)
      expect((await demo.app.inject({ url: new URL(info.demoLink!).pathname + new URL(info.demoLink!).search, remoteAddress: '192.0.2.1' })).statusCode).toBe(403)
      const audit = (await app.inject({ url: '/api/admin/audit?action=login.demo', headers: bearer(tokens.admin) })).json() as Array<{ actor: string | null, detail: { status: number } }>
      expect(audit.filter(e => e.detail.status === 303)).toHaveLength(1)
      expect(audit.find(e => e.detail.status === 303)).toMatchObject({ actor: 'demo' })
      expect(audit.filter(e => e.detail.status === 403).length).toBeGreaterThanOrEqual(4)
    } finally {
      for (const r of relays) await r.close()
      await demo.close()
    }
  })
})
