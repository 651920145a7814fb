import type { Aedes } from 'aedes'

type Done = (err?: Error | null) => void
type Publish = (packet: unknown, client?: unknown, done?: Done) => void
type Emit = (packet: unknown, cb?: Done) => void

/** Set on a packet whose publish was started by publishBeforeAck; Aedes' own later publish call joins it. */
const STARTED_BEFORE_ACK = Symbol('mimamori.startedBeforeAck')

export interface PublishOrder {
  /**
   * Starts the broker's publish (persist + emit) for a QoS 1 packet now, from
   * authorizePublish, and calls `persisted` once the packet is in the
   * persistence (it has reached the emitter), or with the error when it never
   * gets there, so the PUBACK that Aedes writes next is only sent for a
   * persisted packet. Aedes' own later publish call for the same packet does
   * not publish again: it completes when this publish does (so a publisher is
   * still back-pressured by delivery).
   */
  publishBeforeAck(packet: object, client: unknown, persisted: Done): void
  /** resolves when every publish started so far has reached the emitter (or failed) */
  drain(): Promise<void>
}

const PENDING = 0
const READY = 1
const GONE = 2

/** one publish; queued in counter order when it took its broker counter from us */
interface Job {
  counter: number
  state: typeof PENDING | typeof READY | typeof GONE
  next: Job | undefined
  /** the Packet and callback Aedes handed to the emitter, while held back */
  packet: unknown
  cb: Done | undefined
  /** the caller's completion */
  done: Done | undefined
  /** publishBeforeAck: called once, when persisted (or failed before) */
  persisted: Done | undefined
  /** publishBeforeAck: Aedes' own publish call waiting for the end */
  joined: Done | undefined
  finished: boolean
  err: Error | null | undefined
}

function newJob (done: Done | undefined, persisted: Done | undefined): Job {
  return { counter: 0, state: PENDING, next: undefined, packet: undefined, cb: undefined, done, persisted, joined: undefined, finished: false, err: undefined }
}

/** Aedes finished a job's publish: tell whoever waits for it (persisted, the PUBACK path, the caller) */
function finish (job: Job, err: Error | null | undefined, flush: () => void): void {
  if (job.state === PENDING) {
    // failed before it reached the emitter: release the slot so later packets go on
    job.state = GONE
    flush()
  }
  job.finished = true
  job.err = err
  const { persisted, joined, done } = job
  job.persisted = undefined
  job.joined = undefined
  persisted?.(err ?? null)
  joined?.(err)
  done?.(err)
}

/**
 * Two guarantees Aedes 1.x does not give on its own, both needed for "an
 * accepted reading is never lost":
 *
 * 1. Order into the emitter. Aedes drops a packet for a subscriber when one
 *    with a higher broker counter reached that subscriber first (its
 *    per-client `dedupe`, meant for session resumes). Each publish awaits the
 *    persistence (storeRetained → subscriptionsByTopic → outgoingEnqueueCombi)
 *    before it is emitted; with an on-disk or networked backend those awaits
 *    finish out of order under load, and the overtaken packet then sat in the
 *    persistent session, undelivered, until the subscriber reconnected (seen:
 *    1–10 of 300 QoS 1 frames per run; every retained frame that raced a plain
 *    one). The persistence work of successive publishes still overlaps; only
 *    the emit is ordered: every publish takes its broker counter here (what
 *    Aedes' `new Packet()` would have given it), and a packet that reaches the
 *    emitter while an earlier counter is still being persisted waits in a
 *    reorder buffer until that one is emitted or has failed (a failed publish
 *    releases its slot; nothing waits on a timer). One path never calls back:
 *    when `subscriptionsByTopic` itself rejects, Aedes emits 'error' on the
 *    broker instead of finishing the publish (the process then stops on it,
 *    as without this module).
 * 2. Persist before PUBACK. Aedes writes the QoS 1 PUBACK before it publishes,
 *    so a broker stopped or killed in between lost a message the device had
 *    already dropped from its store-and-forward buffer. publishBeforeAck runs
 *    the publish from authorizePublish and lets the PUBACK go once the packet
 *    is persisted (retained store + every persistent subscriber's queue),
 *    i.e. when it reaches the emitter, not after its delivery; Aedes' own
 *    publish call after the PUBACK then waits for the delivery, so a
 *    publisher's socket is still read only as fast as the broker delivers.
 *
 * Packets that already carry a brokerId or brokerCounter (wills of a dead
 * broker read back from the persistence) keep them and are not ordered, as
 * in Aedes; counters Aedes takes for its own per-delivery packets (retained
 * messages on SUBSCRIBE) never enter the buffer.
 */
export function preservePublishOrder (aedes: Aedes): PublishOrder {
  const broker = aedes as unknown as { publish: Publish, mq: { emit: Emit }, counter: number }
  const publish = broker.publish.bind(aedes) as Publish
  const emit = broker.mq.emit.bind(broker.mq) as Emit
  const queued = new Map<number, Job>()
  let head: Job | undefined
  let tail: Job | undefined
  let flushing = false
  let drained: Array<() => void> = []

  /** emits (or skips, when failed) every job at the head that is no longer pending */
  const flush = (): void => {
    if (flushing) return // re-entered from an emit below; the loop picks it up
    flushing = true
    while (head !== undefined && head.state !== PENDING) {
      const job = head
      head = job.next
      job.next = undefined
      if (head === undefined) tail = undefined
      queued.delete(job.counter)
      if (job.state === READY) {
        const { packet, cb } = job
        job.state = GONE
        job.packet = undefined
        job.cb = undefined
        emit(packet, cb)
      }
    }
    flushing = false
    if (head === undefined && drained.length > 0) {
      const waiting = drained
      drained = []
      for (const resolve of waiting) resolve()
    }
  }

  broker.mq.emit = (packet, cb) => {
    // nothing held back (every QoS 0 publish of a fan-in): no job can be waiting for this packet
    if (head === undefined) { emit(packet, cb); return }
    const counter = (packet as { brokerCounter?: number }).brokerCounter
    const job = counter === undefined ? undefined : queued.get(counter)
    if (job === undefined || job.state !== PENDING) { emit(packet, cb); return }
    job.state = READY
    job.packet = packet
    job.cb = cb
    const persisted = job.persisted
    job.persisted = undefined
    persisted?.(null)
    flush()
  }

  /** Aedes' publish, under a broker counter of ours and emitted in counter order */
  const run = (packet: object, client: unknown, job: Job): void => {
    const p = packet as { brokerId?: unknown, brokerCounter?: unknown }
    const onDone: Done = (err) => { finish(job, err, flush) }
    // already stamped (as `new Packet()` reads them): Aedes' own behaviour, unordered
    if (Boolean(p.brokerId) || Boolean(p.brokerCounter)) { publish(packet, client, onDone); return }
    const counter = ++broker.counter
    job.counter = counter
    queued.set(counter, job)
    if (tail === undefined) head = job
    else tail.next = job
    tail = job
    // Aedes' `new Packet()` reads the counter synchronously inside publish(); the
    // caller's object does not keep it (a later publish of it gets a new one)
    p.brokerCounter = counter
    try {
      publish(packet, client, onDone)
    } finally {
      p.brokerCounter = undefined
    }
  }

  const ordered: Publish = (packet, client, done) => {
    if (typeof client === 'function') {
      done = client as Done
      client = null
    }
    const started = (packet as Record<symbol, Job | undefined>)[STARTED_BEFORE_ACK]
    if (started !== undefined) {
      // Aedes' own call after the PUBACK: complete with the publish already running
      if (started.finished) done?.(started.err)
      else started.joined = done
      return
    }
    // QoS 0, not retained, nothing held back: Aedes reaches the emitter synchronously
    // inside publish() (no persistence step), so it cannot overtake anything; no job
    const q = packet as { qos?: number, retain?: boolean }
    if (head === undefined && q.qos !== 1 && q.qos !== 2 && q.retain !== true) { publish(packet, client, done); return }
    run(packet as object, client, newJob(done, undefined))
  }
  broker.publish = ordered

  return {
    publishBeforeAck (packet, client, persisted) {
      const job = newJob(undefined, persisted)
      ;(packet as Record<symbol, Job>)[STARTED_BEFORE_ACK] = job
      run(packet, client, job)
    },
    async drain () {
      if (head === undefined) return
      await new Promise<void>(resolve => { drained.push(resolve) })
    }
  }
}
