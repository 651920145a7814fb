import { createAttemptLimiter } from './limiter.js'

/** why an attempt was refused before the password was looked at */
export type ThrottleReason = 'address' | 'account' | 'client'

export type Admission =
  | { ok: true, bypassedLock: boolean, settle(success: boolean): void }
  | { ok: false, waitS: number, reason: ThrottleReason }

export interface LoginAttempt {
  username: string
  address: string
  /** the id of a valid known-device cookie this browser holds for this account (known-device.ts) */
  device: string | undefined
}

export interface LoginGuardOptions {
  windowMs: number
  perAccount: number
  perAddress: number
  /** failures of one client on one account before its back-off starts */
  freeFailures?: number
  /** back-off ceiling of one client, s */
  maxDelayS?: number
  /** true when an admin unlocked the account after `sinceMs` (the CLI writes it to the shared audit log) */
  unlockedAfter?: (username: string, sinceMs: number) => boolean
  now?: () => number
}

export interface LoginGuard {
  /**
   * Called before the password check: refuses (no scrypt spent) or counts the
   * attempt as a failure now, so parallel guesses cannot all slip through while
   * the hashes run; `settle(true)` takes the count back when the password was right.
   */
  admit(a: LoginAttempt): Admission
  /** forgets the account's failures and every client's back-off on it */
  unlock(username: string): void
  /** accounts now refusing clients they have not seen before */
  lockedAccounts(): number
  /** this account refuses clients it has not seen before */
  isLocked(username: string): boolean
}

interface ClientState { n: number, last: number }

/**
 * Sign-in throttling that slows an attacker without locking out the legitimate
 * user (OWASP "account lockout" without the denial of service):
 * - per client on each account (the known-device id, else the address): after
 *   `freeFailures` misses, an exponential delay 1, 2, 4 … s up to `maxDelayS`;
 * - per account: after `perAccount` misses in the window, clients the account
 *   has not signed in from before get 429 until the window ends or an admin unlocks;
 * - per address: after `perAddress` misses (many names from one address), the same.
 * A browser holding the account's known-device cookie skips the account and
 * address limits (the office NAT an attacker shares) but keeps its own back-off.
 * In memory: a restart forgives; an unlock from the CLI is read from the audit log.
 */
export function createLoginGuard (o: LoginGuardOptions): LoginGuard {
  const now = o.now ?? Date.now
  const free = o.freeFailures ?? 3
  const maxDelayMs = (o.maxDelayS ?? o.windowMs / 1000) * 1000
  const windows = createAttemptLimiter({ windowMs: o.windowMs, now })
  const clients = new Map<string, ClientState>()
  /** accounts over their limit, with when their window began */
  const locked = new Map<string, number>()
  /** when the audit log was last asked about an unlock, per account: at most once a second under attack */
  const unlockAsked = new Map<string, number>()
  let lastPrune = 0

  const delayMs = (n: number): number => n < free ? 0 : Math.min(maxDelayMs, 1000 * 2 ** (n - free))
  const prune = (t: number): void => {
    if (t - lastPrune < 60_000) return
    lastPrune = t
    for (const [k, c] of clients) if (t - c.last > Math.max(o.windowMs, delayMs(c.n))) clients.delete(k)
    for (const [k] of locked) {
      if (windows.blockedFor(`user:${k}`, o.perAccount) > 0) continue
      locked.delete(k)
      unlockAsked.delete(k)
    }
  }
  const waitS = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))

  function accountBlock (acct: string, username: string): number {
    const wait = windows.blockedFor(`user:${acct}`, o.perAccount)
    if (wait === 0) {
      locked.delete(acct)
      return 0
    }
    const since = windows.since(`user:${acct}`) ?? now()
    locked.set(acct, since)
    const t = now()
    if (t - (unlockAsked.get(acct) ?? 0) < 1000) return wait
    unlockAsked.set(acct, t)
    if (o.unlockedAfter?.(username, since) === true) {
      forget(acct)
      return 0
    }
    return wait
  }

  function forget (acct: string): void {
    windows.reset(`user:${acct}`)
    locked.delete(acct)
    unlockAsked.delete(acct)
    for (const k of clients.keys()) if (k.startsWith(`${acct}\n`)) clients.delete(k)
  }

  return {
    admit ({ username, address, device }) {
      const t = now()
      prune(t)
      const acct = username.toLowerCase()
      const clientKey = `${acct}\n${device === undefined ? `addr:${address}` : `dev:${device}`}`
      const c = clients.get(clientKey)
      if (c !== undefined && t < c.last + delayMs(c.n)) return { ok: false, waitS: waitS(c.last + delayMs(c.n) - t), reason: 'client' }
      let bypassedLock = false
      if (device === undefined) {
        const byAddress = windows.blockedFor(`addr:${address}`, o.perAddress)
        if (byAddress > 0) return { ok: false, waitS: byAddress, reason: 'address' }
        const byAccount = accountBlock(acct, username)
        if (byAccount > 0) return { ok: false, waitS: byAccount, reason: 'account' }
      } else {
        bypassedLock = windows.blockedFor(`user:${acct}`, o.perAccount) > 0
      }
      // counted now, before the password is checked
      windows.fail(`addr:${address}`)
      windows.fail(`user:${acct}`)
      const state = c ?? { n: 0, last: t }
      state.n++
      state.last = t
      clients.set(clientKey, state)
      let settled = false
      return {
        ok: true,
        bypassedLock,
        settle (success) {
          if (settled || !success) return
          settled = true
          windows.undo(`addr:${address}`)
          windows.undo(`user:${acct}`)
          clients.delete(clientKey)
        }
      }
    },
    unlock (username) { forget(username.toLowerCase()) },
    isLocked: (username) => windows.blockedFor(`user:${username.toLowerCase()}`, o.perAccount) > 0,
    lockedAccounts () {
      prune(now())
      let n = 0
      for (const k of locked.keys()) if (windows.blockedFor(`user:${k}`, o.perAccount) > 0) n++
      return n
    }
  }
}
