/**
 * A place in the bounded queue, held before the frame's MQTT ack: the frame is
 * then sure to be queued (submit with it never waits or refuses). Released
 * when a job uses it, or by `release()` when the frame is dropped.
 */
export interface Reservation {
  release(): void
}

/**
 * The bounded queue's place accounting: places held by reserve() and not yet
 * used, the reservers waiting for room (first come, first served) and the
 * whenAccepting() watchers. `queued` reads the pool's queue length.
 */
export interface Places {
  readonly reserved: number
  /** no one waiting and room for one more: holds a place at once */
  tryHold(): Reservation | undefined
  /** waits for a place (admit() hands it over) */
  wait(): Promise<Reservation>
  /** whether the queue plus the held places is under the limit */
  hasRoom(): boolean
  /** hands free places to waiting reservers, one at a time, so none is promised a place that is not there */
  admit(): void
  /** turns a held place into a queued job (the place moves from `reserved` to `queue`) */
  consume(r: Reservation | undefined): boolean
  /** resolves when there is room */
  watch(): Promise<void>
  rejectWaiters(err: Error): void
  wakeWatchers(): void
}

type Held = Reservation & { used: boolean }

export function createPlaces (queueLimit: number, queued: () => number): Places {
  /** reserve() callers waiting for room, in arrival order */
  const waiters: Array<{ resolve: (r: Reservation) => void, reject: (err: Error) => void }> = []
  /** whenAccepting() callers */
  const watchers: Array<() => void> = []
  let reserved = 0
  const hasRoom = (): boolean => queued() + reserved < queueLimit

  function admit (): void {
    while (waiters.length > 0 && hasRoom()) {
      reserved++
      waiters.shift()!.resolve(reservation())
    }
    if (hasRoom()) for (const w of watchers.splice(0)) w()
  }

  function reservation (): Held {
    const r = {
      used: false,
      release () {
        if (r.used) return
        r.used = true
        reserved--
        admit()
      }
    }
    return r
  }

  return {
    get reserved () { return reserved },
    tryHold () {
      if (waiters.length > 0 || !hasRoom()) return undefined
      reserved++
      return reservation()
    },
    async wait () { return await new Promise<Reservation>((resolve, reject) => { waiters.push({ resolve, reject }) }) },
    hasRoom,
    admit,
    consume (r) {
      const held = r as Held | undefined
      if (held === undefined || held.used) return false
      held.used = true
      reserved--
      return true
    },
    async watch () { await new Promise<void>(resolve => { watchers.push(resolve) }) },
    rejectWaiters (err) { for (const w of waiters.splice(0)) w.reject(err) },
    wakeWatchers () { for (const w of watchers.splice(0)) w() }
  }
}
