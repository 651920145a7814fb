import type { Logger } from '../../core/logger.js'
import type { Reading } from '../../core/types.js'
import type { Outbox, OutboxEntry } from './outbox.js'

/** Where drained readings go: a batch is encoded into one body at once, then posted. */
export interface OutboxSink {
  /** the request body for these readings; throws an error `isContentError` accepts when one cannot be written */
  encode(readings: Reading[]): string
  /** resolves only when the server accepted every line of the body */
  post(body: string): Promise<void>
  /** true when the error is about the data (HTTP 400/422, unencodable), so retrying the same lines cannot help */
  isContentError(err: unknown): boolean
}

/**
 * A batch on its way: its id range and its encoded body (null: a row could not be encoded). The rows'
 * parsed readings are not kept while the request travels: 5 000 of them living through the HTTP round
 * trip were promoted to the old generation every batch (garbage collection was a third of the drain's CPU).
 */
interface Prepared { first: number, last: number, lines: number, body: string | null }

function prepare (sink: OutboxSink, batch: OutboxEntry[]): Prepared {
  const first = batch[0]!.id
  const last = batch[batch.length - 1]!.id
  try {
    return { first, last, lines: batch.length, body: sink.encode(batch.map(e => e.reading)) }
  } catch (err) {
    if (!sink.isContentError(err)) throw err
    return { first, last, lines: batch.length, body: null }
  }
}

export interface DrainOptions {
  outbox: Outbox
  sink: OutboxSink
  logger: Logger
  batchSize: number
  /** write requests in flight at once (see createDrainer) */
  inFlight: number
  flushIntervalMs: number
  /** target for how far the database may trail ingest while it is healthy, ms (see pace()) */
  paceTargetMs: number
  retryMinMs: number
  retryMaxMs: number
  /** delivered rows observed longer ago than this are pruned from the ledger */
  keepSentMs: number
}

export interface DrainStats {
  delivered: number
  rejected: number
  failedWrites: number
  batches: number
  consecutiveFailures: number
  lastError: string | null
}

export interface Drainer {
  start(): void
  /** a new row was committed: send soon (ignored while backing off); `paced`: its place was taken by pace() */
  kick(paced?: boolean): void
  /**
   * undefined when ingest may commit another row now, else a promise that resolves when it may:
   * at once (undefined) while the backlog is below
   * one batch per slot in flight plus one, or while the database is failing (then the
   * outbox absorbs the outage), otherwise after the next batch is delivered. Ingest
   * acknowledges no faster than the database takes readings, so the queue stays on the
   * devices (QoS 1, store-and-forward) and the database stays within a few batches of
   * what was acknowledged. Takes the
   * row's place in the backlog at once, so writers in the same loop turn cannot all slip past.
   */
  pace(): Promise<void> | undefined
  /** resolves when nothing is pending, or rejects after `timeoutMs` */
  idle(timeoutMs: number): Promise<void>
  /** stops after the batch in flight; pending rows stay in the outbox for the next start */
  stop(): Promise<void>
  readonly stats: Readonly<DrainStats>
}

/**
 * Moves outbox rows to the time-series database in batches, oldest first.
 * A failed batch is retried after an exponential back-off with jitter that
 * never gives up, so an outage of any length only delays delivery. Rows are
 * marked delivered only after the server acknowledged them; a crash between
 * the two re-sends a batch, which the server absorbs because a point with the
 * same series and timestamp overwrites itself.
 */
export function createDrainer (o: DrainOptions): Drainer {
  const log = o.logger.child({ component: 'outbox' })
  const stats: DrainStats = { delivered: 0, rejected: 0, failedWrites: 0, batches: 0, consecutiveFailures: 0, lastError: null }
  const pacer = createPacer(o.outbox.counts().pending, o.batchSize, Math.max(1, o.inFlight), o.paceTargetMs)
  const healthy = (): boolean => stats.consecutiveFailures === 0 && running
  let running = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined
  let backingOff = false
  let lastPrune = 0
  const idleWaiters = new Set<() => void>()

  const sleep = async (ms: number): Promise<void> => {
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { wake = undefined; resolve() }, ms)
      wake = () => { clearTimeout(timer); wake = undefined; resolve() }
    })
  }

  /**
   * Up to `inFlight` batches travel at once. Order across batches does not matter to a time-series
   * database: every point carries its own timestamp and a re-sent point overwrites itself, so a later
   * batch acknowledged before an earlier one stores the same series. Each batch's rows are marked
   * delivered only after the server acknowledged that batch. `cursor` is the highest id handed to a
   * batch still in flight, so the next select takes only rows above it; with nothing in flight it
   * starts again from the oldest pending row (a failed batch's rows are still pending, below it).
   */
  const slots = new Set<Promise<void>>()
  let cursor = 0
  let failedRound = false

  const stepFailed = (err: unknown): void => {
    stats.lastError = (err as Error).message
    log.error({ err: stats.lastError }, 'outbox drain step failed')
    stats.consecutiveFailures++
    failedRound = true
  }

  function launch (batch: Prepared): void {
    const slot: Promise<void> = sendBatch(o, stats, pacer, log, batch, Date.now())
      .then(outcome => { if (outcome === 'failed') failedRound = true }, stepFailed)
      .finally(() => { slots.delete(slot); wake?.() })
    slots.add(slot)
  }

  /** one step of the loop: back off after a failure, wait for a free slot, or send the next batch */
  async function step (): Promise<void> {
    if (failedRound) {
      // let the others land, then back off; the failed rows are below the cursor, so start again from the oldest
      await Promise.all(slots)
      failedRound = false
      if (!running) return
      backingOff = true
      await sleep(backoffMs(o, stats.consecutiveFailures))
      backingOff = false
      return
    }
    // after a failure, probe with one batch at a time until the database answers again
    const limit = stats.consecutiveFailures > 0 ? 1 : Math.max(1, o.inFlight)
    if (slots.size >= limit) {
      await Promise.race(slots)
      return
    }
    if (slots.size === 0) cursor = 0
    let batch: Prepared | undefined
    try {
      const rows = o.outbox.pending(pacer.batchLimit(), cursor)
      batch = rows.length === 0 ? undefined : prepare(o.sink, rows)
    } catch (err) {
      stepFailed(err)
      return
    }
    if (batch !== undefined) {
      cursor = batch.last
      launch(batch)
      return
    }
    if (slots.size === 0) {
      pacer.empty()
      wakeAll(idleWaiters)
      lastPrune = maybePrune(o, log, lastPrune)
    }
    // nothing new: wait for a kick, a slot to land, or the poll interval
    await sleep(o.flushIntervalMs)
  }

  async function run (): Promise<void> {
    while (running) await step()
    await Promise.all(slots)
  }

  return {
    stats,
    start () {
      if (running) return
      running = true
      loop = run()
    },
    kick (counted = false) {
      if (!counted) pacer.add()
      if (!backingOff) wake?.()
    },
    pace: () => pacer.pace(healthy),
    async idle (timeoutMs) {
      if (o.outbox.counts().pending === 0) return
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { idleWaiters.delete(done); reject(new Error('outbox not drained in time')) }, timeoutMs)
        const done = (): void => { clearTimeout(timer); resolve() }
        idleWaiters.add(done)
        if (!backingOff) wake?.()
      })
    },
    async stop () {
      running = false
      pacer.release()
      wake?.()
      await loop
    }
  }
}

/** The server refused a batch for its content: send one by one so only the bad rows are set aside (state rejected, never deleted). */
/** one batch to the sink; rows marked delivered once it acknowledged them, a content error isolated row by row */
async function sendBatch (o: DrainOptions, stats: DrainStats, pacer: Pacer, log: Logger, batch: Prepared, started: number): Promise<'sent' | 'failed'> {
  try {
    if (batch.body === null) throw new UnencodableBatch()
    await o.sink.post(batch.body)
    o.outbox.markDelivered(batch.first, batch.last, Date.now())
    stats.delivered += batch.lines
    stats.batches++
    pacer.delivered(batch.lines, Date.now() - started)
    if (stats.consecutiveFailures > 0) log.info({ after: stats.consecutiveFailures, lines: batch.lines }, 'time-series database reachable again; draining outbox')
    stats.consecutiveFailures = 0
    return 'sent'
  } catch (err) {
    const message = (err as Error).message
    if (err instanceof UnencodableBatch || o.sink.isContentError(err)) {
      // read the batch's rows again (still pending) and send them one by one
      await isolatePoison(o, stats, log, o.outbox.pendingRange(batch.first, batch.last))
      return 'sent'
    }
    stats.failedWrites++
    stats.consecutiveFailures++
    pacer.release() // the database is failing: the outbox takes everything meanwhile
    stats.lastError = message
    o.outbox.markFailedAttempt(batch.first, batch.last, message)
    const level = stats.consecutiveFailures === 1 || stats.consecutiveFailures % 20 === 0 ? 'warn' : 'debug'
    log[level]({ err: message, lines: batch.lines, attempt: stats.consecutiveFailures }, 'outbox write failed; will retry')
    return 'failed'
  }
}

/** exponential back-off with jitter: half the step fixed, half random */
function backoffMs (o: DrainOptions, failures: number): number {
  const exp = Math.min(o.retryMaxMs, o.retryMinMs * 2 ** Math.min(30, Math.max(1, failures) - 1))
  return exp / 2 + Math.random() * exp / 2
}

function wakeAll (waiters: Set<() => void>): void {
  for (const w of waiters) w()
  waiters.clear()
}

class UnencodableBatch extends Error {}

async function isolatePoison (o: DrainOptions, stats: DrainStats, log: Logger, rows: OutboxEntry[]): Promise<void> {
  for (const row of rows) {
    try {
      await o.sink.post(o.sink.encode([row.reading]))
      o.outbox.markDelivered(row.id, row.id, Date.now())
      stats.delivered++
    } catch (err) {
      if (!o.sink.isContentError(err)) throw err
      o.outbox.markRejected(row.id, (err as Error).message)
      stats.rejected++
      log.error({ station: row.reading.stationId, time: row.reading.time, err: (err as Error).message }, 'time-series database refused a reading; kept in outbox as rejected')
    }
  }
}

/**
 * Delivered rows older than keepSentMs leave the ledger, at most once an hour (the first time when the
 * drain first catches up); returns when it last ran. The DELETE scans every delivered row (88 ms of CPU
 * per 200 000 rows): once a minute over a full 46-day ledger of 1 000 gauges (6.6 M rows) that was
 * ≈ 3 s of CPU a minute; an hour later the extra rows are ≈ 0.1 % of the ledger.
 */
const PRUNE_EVERY_MS = 3_600_000

function maybePrune (o: DrainOptions, log: Logger, lastPrune: number): number {
  const now = Date.now()
  if (now - lastPrune < PRUNE_EVERY_MS) return lastPrune
  try {
    const n = o.outbox.prune(now - o.keepSentMs)
    if (n > 0) log.debug({ rows: n }, 'pruned delivered outbox rows')
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'outbox prune failed')
  }
  return now
}

/**
 * How far ingest may run ahead of the database: what the drain delivers in
 * `paceTargetMs` at its measured speed (lines per ms of the last batch, select to
 * delivered, times the batches in flight), at least two small batches, at most one
 * full batch per slot plus one waiting. A row waits about backlog ÷ speed, so this
 * bounds how stale the database is behind what was acked.
 */
type Pacer = ReturnType<typeof createPacer>

function createPacer (initialBacklog: number, batchSize: number, inFlight: number, paceTargetMs: number): {
  batchLimit(): number
  empty(): void
  delivered(rows: number, ms: number): void
  release(): void
  add(): void
  pace(healthy: () => boolean): Promise<void> | undefined
} {
  /** rows committed and not yet delivered, as far as this process knows (re-read from the table when a read finds none) */
  let backlog = initialBacklog
  const ceiling = (inFlight + 1) * batchSize
  let highWater = ceiling
  const minBatch = Math.min(100, batchSize)
  let paced: Array<() => void> = []
  const release = (): void => {
    if (paced.length === 0) return
    const waiting = paced
    paced = []
    for (const resolve of waiting) resolve()
  }
  return {
    batchLimit: () => Math.min(batchSize, Math.max(minBatch, Math.ceil(highWater / (inFlight + 1)))),
    empty () { backlog = 0; release() },
    delivered (rows, ms) {
      backlog = Math.max(0, backlog - rows)
      highWater = Math.min(ceiling, Math.max(2 * minBatch, Math.round(inFlight * rows / Math.max(1, ms) * paceTargetMs)))
      release()
    },
    release,
    add () { backlog++ },
    pace (healthy) {
      // undefined when the row may go at once (the usual case): no promise per reading
      if (backlog < highWater || !healthy()) {
        backlog++
        return undefined
      }
      return (async () => {
        while (backlog >= highWater && healthy()) {
          await new Promise<void>(resolve => { paced.push(resolve) })
        }
        backlog++
      })()
    }
  }
}
