import { resolve } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Page } from 'playwright-core'
import type { Config } from '../../core/config/schema.js'
import type { Role } from '../../dashboard/server/auth/access.js'
import { openAccounts } from '../../dashboard/server/auth/accounts.js'

/** one password for every test account (long enough for the policy, never used outside tests) */
export const TEST_PASSWORD = 'correct horse battery staple'

/** Dashboard origin → the Bearer token apiFetch and openSse send to it (set by startTestApp and useToken). */
const tokens = new Map<string, string>()

export function useToken (baseUrl: string, token: string): void {
  tokens.set(new URL(baseUrl).origin, token)
}

/** the Authorization header a request to this URL carries in tests, if its dashboard has a test token */
export function authHeaders (url: string): Record<string, string> {
  const token = tokens.get(new URL(url).origin)
  return token === undefined ? {} : { authorization: `Bearer ${token}` }
}

/** fetch() with the test admin's API token for the dashboard the URL points at */
export async function apiFetch (url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  for (const [k, v] of Object.entries(authHeaders(url))) if (!headers.has(k)) headers.set(k, v)
  return await fetch(url, { ...init, headers })
}

/** a user in the dashboard's database (the file the app uses; WAL lets the test write beside it) */
export async function addUser (config: Config, username: string, role: Role, { hunterId = null, password = TEST_PASSWORD }: { hunterId?: string | null, password?: string } = {}): Promise<void> {
  const accounts = openAccounts(resolve(config.dataDir, config.store.file))
  try {
    await accounts.addUser({ username, role, password, hunterId })
  } finally {
    accounts.close()
  }
}

/** an API token for a (new) user of this role, valid for a day */
export async function tokenFor (config: Config, username: string, role: Role, { scope = 'write', hunterId = null, expiresAt = Date.now() + 86_400_000 }: { scope?: 'read' | 'write', hunterId?: string | null, expiresAt?: number } = {}): Promise<string> {
  const accounts = openAccounts(resolve(config.dataDir, config.store.file))
  try {
    if (accounts.byName(username) === undefined) await accounts.addUser({ username, role, password: TEST_PASSWORD, hunterId })
    return accounts.createToken({ username, name: 'test', scope, expiresAt }).token
  } finally {
    accounts.close()
  }
}

/** a signed-in browser session: the cookie and the CSRF token the page would send */
export interface TestSession {
  cookie: string
  csrf: string
}

export async function injectLogin (app: FastifyInstance, username: string, password = TEST_PASSWORD): Promise<TestSession> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`)
  const cookie = res.cookies.find(c => c.name === 'mimamori_sid')
  if (cookie === undefined) throw new Error('login set no session cookie')
  return { cookie: `mimamori_sid=${cookie.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken }
}

/** inject() as the signed-in session (cookie, and the CSRF header on writes) */
export async function injectAs (app: FastifyInstance, s: TestSession, opts: InjectOptions): Promise<LightMyRequestResponse> {
  const write = opts.method !== undefined && !['GET', 'HEAD'].includes(opts.method.toUpperCase())
  return await app.inject({ ...opts, headers: { ...opts.headers, cookie: s.cookie, ...(write ? { 'x-csrf-token': s.csrf } : {}) } })
}

/** signs a Chromium page in through the real sign-in page; the context keeps the session cookie */
export async function signInPage (page: Page, baseUrl: string, username: string, password = TEST_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/login.html?next=${encodeURIComponent('/login-done')}`)
  await page.locator('#login-username').fill(username)
  await page.locator('#login-password').fill(password)
  await Promise.all([
    page.waitForURL(u => u.pathname === '/login-done'),
    page.locator('#login-submit').click()
  ])
}
