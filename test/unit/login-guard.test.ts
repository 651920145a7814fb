import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openAccounts } from '../../dashboard/server/auth/accounts.js'
import { createAuditLog, type NewAuditEntry } from '../../dashboard/server/auth/audit.js'
import { createLoginGuard, type Admission } from '../../dashboard/server/auth/login-guard.js'

const MIN = 60_000

/** one attempt that the password check then fails (or passes) */
function attempt (a: Admission, success = false): Admission {
  if (a.ok) a.settle(success)
  return a
}

describe('sign-in guard (fake clock)', () => {
  it('one client on one account: 3 free misses, then 1, 2, 4 … s of back-off up to the ceiling', () => {
    let now = 0
    const g = createLoginGuard({ windowMs: 15 * MIN, perAccount: 100, perAddress: 100, maxDelayS: 60, now: () => now })
    const a = { username: 'sato', address: '10.0.0.1', device: undefined }
    for (let i = 0; i < 3; i++) expect(attempt(g.admit(a)).ok).toBe(true)
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      const refused = g.admit(a)
      expect(refused).toMatchObject({ ok: false, reason: 'client' })
      const w = (refused as { waitS: number }).waitS
      waits.push(w)
      now += w * 1000
      expect(attempt(g.admit(a)).ok).toBe(true)
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60])
    // another address on the same account has its own back-off
    expect(g.admit({ ...a, address: '10.0.0.2' }).ok).toBe(true)
  })

  it('a right password takes its count back and clears the back-off', () => {
    let now = 0
    const g = createLoginGuard({ windowMs: 15 * MIN, perAccount: 3, perAddress: 100, now: () => now })
    const a = { username: 'sato', address: '10.0.0.1', device: undefined }
    attempt(g.admit(a))
    attempt(g.admit(a))
    attempt(g.admit(a), true)
    expect(g.isLocked('sato')).toBe(false)
    attempt(g.admit(a))
    expect(g.isLocked('sato')).toBe(true)
    // the window ends: the lock with it
    now += 15 * MIN
    expect(g.isLocked('sato')).toBe(false)
    expect(g.admit({ ...a, address: '10.0.0.9' }).ok).toBe(true)
  })

  it('an account lock refuses new clients; a known device passes it (and counts in bypassedLock); unlock forgets', () => {
    const g = createLoginGuard({ windowMs: 15 * MIN, perAccount: 5, perAddress: 100, now: () => 0 })
    for (let i = 0; i < 5; i++) attempt(g.admit({ username: 'Sato', address: `192.0.2.${i}`, device: undefined }))
    expect(g.admit({ username: 'sato', address: '10.0.0.1', device: undefined })).toMatchObject({ ok: false, reason: 'account' })
    expect(g.lockedAccounts()).toBe(1)
    const known = g.admit({ username: 'sato', address: '192.0.2.1', device: 'dev-1' })
    expect(known).toMatchObject({ ok: true, bypassedLock: true })
    g.unlock('SATO')
    expect(g.lockedAccounts()).toBe(0)
    expect(g.admit({ username: 'sato', address: '10.0.0.1', device: undefined }).ok).toBe(true)
  })

  it('an unlock recorded elsewhere (the CLI) is read at most once a second while locked', () => {
    let now = 1000
    let asked = 0
    let unlockedAt: number | undefined
    const g = createLoginGuard({
      windowMs: 15 * MIN, perAccount: 2, perAddress: 100, now: () => now,
      unlockedAfter: (_u, since) => { asked++; return unlockedAt !== undefined && unlockedAt > since }
    })
    attempt(g.admit({ username: 'sato', address: '192.0.2.1', device: undefined }))
    attempt(g.admit({ username: 'sato', address: '192.0.2.2', device: undefined }))
    for (let i = 0; i < 50; i++) expect(g.admit({ username: 'sato', address: `198.51.100.${i}`, device: undefined }).ok).toBe(false)
    expect(asked).toBe(1)
    unlockedAt = now + 10
    now += 1000
    expect(g.admit({ username: 'sato', address: '10.0.0.1', device: undefined }).ok).toBe(true)
  })

  it('many names from one address trip the address limit, which a known device does not share', () => {
    const g = createLoginGuard({ windowMs: 15 * MIN, perAccount: 100, perAddress: 4, now: () => 0 })
    for (let i = 0; i < 4; i++) attempt(g.admit({ username: `user-${i}`, address: '10.0.0.1', device: undefined }))
    expect(g.admit({ username: 'sato', address: '10.0.0.1', device: undefined })).toMatchObject({ ok: false, reason: 'address' })
    expect(g.admit({ username: 'sato', address: '10.0.0.1', device: 'dev-1' }).ok).toBe(true)
  })
})

describe('unlocks read from the audit log (real SQLite)', () => {
  it('count only from the CLI or a successful admin request, never a refused attempt under the same action', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mimamori-guard-'))
    const accounts = openAccounts(join(dir, 'm.db'))
    try {
      const audit = createAuditLog(accounts.db)
      const row = (e: Partial<NewAuditEntry>): void => { audit.record({ actor: null, role: null, via: null, ip: '192.0.2.1', action: 'user.unlock', subject: 'Sato', detail: {}, at: 2000, ...e }) }
      // an anonymous and a staff attempt: audited (refused), and nothing more
      row({ detail: { status: 401 } })
      row({ actor: 'staff-1', role: 'staff', via: 'session', detail: { status: 403 } })
      row({ actor: 'admin-1', role: 'admin', via: 'token', detail: { status: 404 } })
      expect(audit.doneAfter('user.unlock', 'sato', 1000)).toBe(false)
      row({ actor: 'admin-1', role: 'admin', via: 'session', detail: { status: 200 } })
      expect(audit.doneAfter('user.unlock', 'sato', 1000)).toBe(true)
      expect(audit.doneAfter('user.unlock', 'sato', 2000)).toBe(false)
      row({ via: 'cli:root', ip: null, at: 3000 })
      expect(audit.doneAfter('user.unlock', 'SATO', 2500)).toBe(true)
      expect(audit.doneAfter('user.unlock', 'kato', 0)).toBe(false)
    } finally {
      accounts.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
