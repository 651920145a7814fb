/**
 * Failed sign-in counter over a fixed window per key ("addr:…", "user:…").
 * In memory on purpose: a restart forgiving the counts is fine, and a lookup
 * must not cost a write. Keys are pruned when their window has passed.
 */
export interface AttemptLimiter {
  /** seconds until the key may try again; 0 when it may try now */
  blockedFor(key: string, max: number): number
  fail(key: string): void
  /** takes back one failure counted before a check that then succeeded */
  undo(key: string): void
  /** when the key's window began (ms), or undefined when it has no count */
  since(key: string): number | undefined
  reset(key: string): void
}

export function createAttemptLimiter ({ windowMs, now = Date.now }: { windowMs: number, now?: () => number }): AttemptLimiter {
  const counts = new Map<string, { n: number, since: number }>()
  let lastPrune = 0
  const current = (key: string): { n: number, since: number } | undefined => {
    const t = now()
    if (t - lastPrune > windowMs) {
      lastPrune = t
      for (const [k, v] of counts) if (t - v.since >= windowMs) counts.delete(k)
    }
    const c = counts.get(key)
    if (c !== undefined && t - c.since >= windowMs) {
      counts.delete(key)
      return undefined
    }
    return c
  }
  return {
    blockedFor (key, max) {
      const c = current(key)
      if (c === undefined || c.n < max) return 0
      return Math.max(1, Math.ceil((c.since + windowMs - now()) / 1000))
    },
    fail (key) {
      const c = current(key)
      if (c === undefined) counts.set(key, { n: 1, since: now() })
      else c.n++
    },
    undo (key) {
      const c = current(key)
      if (c === undefined) return
      if (c.n <= 1) counts.delete(key)
      else c.n--
    },
    since: (key) => current(key)?.since,
    reset (key) { counts.delete(key) }
  }
}

/** Open live streams per holder and in total; a refused stream is told 429 before the reply is taken over. */
export interface StreamLimits {
  /** a release function, or undefined when a limit is reached */
  acquire(holder: string): (() => void) | undefined
  readonly open: number
}

export function createStreamLimits ({ maxClients, maxPerUser }: { maxClients: number, maxPerUser: number }): StreamLimits {
  const perHolder = new Map<string, number>()
  let open = 0
  return {
    get open () { return open },
    acquire (holder) {
      const mine = perHolder.get(holder) ?? 0
      if (open >= maxClients || mine >= maxPerUser) return undefined
      open++
      perHolder.set(holder, mine + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        open--
        const left = (perHolder.get(holder) ?? 1) - 1
        if (left <= 0) perHolder.delete(holder)
        else perHolder.set(holder, left)
      }
    }
  }
}
