import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Brute-force limits on MQTT CONNECT that slow a guesser without locking out the
 * devices that share its address (gauges behind one LTE/NAT gateway), issue 25:
 *
 * - a known-good cache: a secret that verified before for an account, while that
 *   account's stored hash is unchanged (no rotate, no revoke), passes at once — before
 *   any limit, so a device still connects while its address or its id is hammered;
 * - a budget of full checks per address per window, reserved BEFORE the check runs
 *   (concurrent CONNECTs cannot all slip past it) and given back when the check succeeds,
 *   so only failures use it up;
 * - a per-account back-off once an id has failed `deviceFailures` times: 1 s, doubling,
 *   at most the window; its full checks are refused unchecked meanwhile.
 * Nothing here is a permanent lockout; `unlock` clears an address, an id, or all.
 */
export interface AuthGuard {
  /** the secret verified before for this id against this very stored hash */
  knownGood(id: string, secret: Buffer, stored: string | undefined): boolean
  remember(id: string, secret: Buffer, stored: string): void
  /** reserves a full check; the refusal reason when none may run now */
  admit(address: string, id: string): 'address_limited' | 'device_backoff' | undefined
  /** the outcome of an admitted check: success returns the reservation, failure keeps it */
  settle(address: string, id: string, ok: boolean): void
  /** clears limits for an address or an account id (all when omitted); how many entries went */
  unlock(target?: string): number
  readonly size: { addresses: number, devices: number, knownGood: number }
}

interface Budget { used: number, resetAt: number }
interface Backoff { failures: number, until: number, resetAt: number }

const MAX_ENTRIES = 200_000
const BACKOFF_BASE_MS = 1000

export function createAuthGuard ({ checksPerAddress, deviceFailures, windowMs, now = Date.now }: {
  checksPerAddress: number, deviceFailures: number, windowMs: number, now?: () => number
}): AuthGuard {
  const budgets = new Map<string, Budget>()
  const backoffs = new Map<string, Backoff>()
  const good = new Map<string, { digest: Buffer, stored: string }>()
  const sha = (b: Buffer): Buffer => createHash('sha256').update(b).digest()
  // compared against when an id has no entry, so a miss costs what a mismatch does
  const nothing = { digest: sha(Buffer.from('no known-good secret')), stored: '' }

  const bounded = <V extends { resetAt: number }>(m: Map<string, V>): void => {
    if (m.size < MAX_ENTRIES) return
    const t = now()
    for (const [k, v] of m) if (v.resetAt <= t) m.delete(k)
    // still full (a flood of fresh addresses): the oldest entries go first
    for (const k of m.keys()) { if (m.size < MAX_ENTRIES) break; m.delete(k) }
  }
  const budgetOf = (address: string): Budget => {
    let b = budgets.get(address)
    if (b === undefined || b.resetAt <= now()) {
      bounded(budgets)
      b = { used: 0, resetAt: now() + windowMs }
      budgets.set(address, b)
    }
    return b
  }

  return {
    knownGood (id, secret, stored) {
      const entry = good.get(id) ?? nothing
      const match = timingSafeEqual(entry.digest, sha(secret))
      return match && stored !== undefined && entry.stored === stored
    },
    remember (id, secret, stored) {
      good.delete(id)
      if (good.size >= MAX_ENTRIES) good.delete(good.keys().next().value!)
      good.set(id, { digest: sha(secret), stored })
    },
    admit (address, id) {
      const b = backoffs.get(id)
      if (b !== undefined && b.until > now()) return 'device_backoff'
      const budget = budgetOf(address)
      if (budget.used >= checksPerAddress) return 'address_limited'
      budget.used++
      return undefined
    },
    settle (address, id, ok) {
      if (ok) {
        const budget = budgets.get(address)
        if (budget !== undefined && budget.used > 0) budget.used--
        backoffs.delete(id)
        return
      }
      const t = now()
      let b = backoffs.get(id)
      if (b === undefined || b.resetAt <= t) {
        bounded(backoffs)
        b = { failures: 0, until: 0, resetAt: t + windowMs }
        backoffs.set(id, b)
      }
      b.failures++
      if (b.failures >= deviceFailures) {
        const wait = Math.min(windowMs, BACKOFF_BASE_MS * 2 ** (b.failures - deviceFailures))
        b.until = t + wait
        b.resetAt = Math.max(b.resetAt, b.until + windowMs)
      }
    },
    unlock (target) {
      if (target === undefined) {
        const n = budgets.size + backoffs.size
        budgets.clear()
        backoffs.clear()
        return n
      }
      return (budgets.delete(target) ? 1 : 0) + (backoffs.delete(target) ? 1 : 0)
    },
    get size () { return { addresses: budgets.size, devices: backoffs.size, knownGood: good.size } }
  }
}
