import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { openAccounts } from '../../dashboard/server/auth/accounts.js'
import { createAttemptLimiter, createStreamLimits } from '../../dashboard/server/auth/limiter.js'
import { createSqliteSessionStore } from '../../dashboard/server/auth/session-store.js'

const MIN = 60_000

describe('session store, sign-in counter and stream limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-sessions-'))
  const accounts = openAccounts(join(dir, 'db.sqlite'))
  afterAll(() => {
    accounts.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const get = async (store: ReturnType<typeof createSqliteSessionStore>, id: string): Promise<Session | null | undefined> =>
    await new Promise((resolve, reject) => { store.get(id, (err, s) => { err == null ? resolve(s) : reject(err) }) })
  const set = async (store: ReturnType<typeof createSqliteSessionStore>, id: string, s: Session): Promise<void> =>
    await new Promise((resolve, reject) => { store.set(id, s, err => { err == null ? resolve() : reject(err) }) })

  it('ends a session after the idle time, and after the absolute time however busy', async () => {
    let now = 1_000_000
    const store = createSqliteSessionStore(accounts.db, { idleMs: 30 * MIN, absoluteMs: 12 * 60 * MIN, now: () => now })
    await set(store, 'a', { userId: 'u1', csrf: 't' } as unknown as Session)
    now += 29 * MIN
    expect(await get(store, 'a')).toMatchObject({ userId: 'u1' })
    await set(store, 'a', { userId: 'u1', csrf: 't' } as unknown as Session) // a request touches it
    now += 29 * MIN
    expect(await get(store, 'a')).toMatchObject({ userId: 'u1' })
    now += 31 * MIN // idle
    expect(await get(store, 'a')).toBeNull()
    // busy all day: touched every 10 min, still ends 12 h after sign-in
    await set(store, 'b', { userId: 'u1' } as unknown as Session)
    const start = now
    while (now - start < 12 * 60 * MIN - 10 * MIN) {
      now += 10 * MIN
      expect(await get(store, 'b')).not.toBeNull()
      await set(store, 'b', { userId: 'u1' } as unknown as Session)
    }
    now += 11 * MIN
    expect(await get(store, 'b')).toBeNull()
  })

  it("a password change and a disabled account end the user's sessions", async () => {
    const store = createSqliteSessionStore(accounts.db, { idleMs: 30 * MIN, absoluteMs: 12 * 60 * MIN })
    const u = await accounts.addUser({ username: 'kato', role: 'staff', password: 'first password 1' })
    await set(store, 's1', { userId: u.id } as unknown as Session)
    await accounts.setPassword('kato', 'second password 2')
    expect(await get(store, 's1')).toBeNull()
    await set(store, 's2', { userId: u.id } as unknown as Session)
    accounts.setDisabled('kato', true)
    expect(await get(store, 's2')).toBeNull()
    expect(await accounts.verifyLogin('kato', 'second password 2')).toBeUndefined()
  })

  it('passwords: too short refused, scrypt-hashed, verified only with the right one', async () => {
    await expect(accounts.addUser({ username: 'short', role: 'staff', password: 'short' })).rejects.toMatchObject({ code: 'MIMAMORI_ERR_BAD_REQUEST' })
    await expect(accounts.addUser({ username: 'bad name', role: 'staff', password: 'long enough 123' })).rejects.toMatchObject({ code: 'MIMAMORI_ERR_BAD_REQUEST' })
    await expect(accounts.addUser({ username: 'h', role: 'hunter', password: 'long enough 123' })).rejects.toMatchObject({ code: 'MIMAMORI_ERR_BAD_REQUEST' })
    await accounts.addUser({ username: 'ito', role: 'researcher', password: 'long enough 123' })
    await expect(accounts.addUser({ username: 'ITO', role: 'staff', password: 'long enough 123' })).rejects.toMatchObject({ code: 'MIMAMORI_ERR_DEVICE_EXISTS' })
    const row = accounts.db.prepare<[string], { password_hash: string }>('SELECT password_hash FROM users WHERE username = ?').get('ito')!
    expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/)
    expect(row.password_hash).not.toContain('long enough')
    expect(await accounts.verifyLogin('ito', 'long enough 123')).toMatchObject({ username: 'ito', role: 'researcher' })
    expect(await accounts.verifyLogin('ito', 'long enough 124')).toBeUndefined()
    expect(await accounts.verifyLogin('nobody', 'long enough 123')).toBeUndefined()
  })

  it('counts failed sign-ins in a window, then forgives', () => {
    let now = 0
    const limiter = createAttemptLimiter({ windowMs: 15 * MIN, now: () => now })
    for (let i = 0; i < 3; i++) limiter.fail('user:x')
    expect(limiter.blockedFor('user:x', 3)).toBe(15 * 60)
    expect(limiter.blockedFor('user:x', 4)).toBe(0)
    now += 10 * MIN
    expect(limiter.blockedFor('user:x', 3)).toBe(5 * 60)
    now += 5 * MIN
    expect(limiter.blockedFor('user:x', 3)).toBe(0)
  })

  it('stream limits: per holder and in total; a release frees one place once', () => {
    const limits = createStreamLimits({ maxClients: 3, maxPerUser: 2 })
    const a1 = limits.acquire('a')!
    limits.acquire('a')
    expect(limits.acquire('a')).toBeUndefined()
    limits.acquire('b')
    expect(limits.acquire('c')).toBeUndefined()
    a1()
    a1()
    expect(limits.open).toBe(2)
    expect(limits.acquire('c')).toBeDefined()
  })
})
