import type { Aedes } from 'aedes'

type Done = (err?: Error | null) => void
type Publish = (packet: unknown, client?: unknown, done?: Done) => void
type Emit = (packet: unknown, cb?: Done) => void

/** Marks a packet whose persistence and emit already ran before its PUBACK. */
const PUBLISHED_BEFORE_ACK = Symbol('mimamori.publishedBeforeAck')

export interface PublishOrder {
  /**
   * Runs the broker's publish (persist + emit) for a QoS 1 packet now, from
   * authorizePublish, so the PUBACK that Aedes writes next is only sent once
   * the packet is in the persistence. Aedes' own later publish call for the
   * same packet is then a no-op.
   */
  publishBeforeAck(packet: object, client: unknown): Promise<void>
  /** resolves when every publish started so far has reached the emitter */
  drain(): Promise<void>
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
 *    one). Publish N+1 therefore starts only once publish N has reached the
 *    emitter (or failed); delivery itself still overlaps.
 * 2. Persist before PUBACK. Aedes writes the QoS 1 PUBACK before it publishes,
 *    so a broker stopped or killed in between lost a message the device had
 *    already dropped from its store-and-forward buffer.
 */
export function preservePublishOrder (aedes: Aedes): PublishOrder {
  const broker = aedes as unknown as { publish: Publish, mq: { emit: Emit } }
  const publish = broker.publish.bind(aedes) as Publish
  const emit = broker.mq.emit.bind(broker.mq) as Emit
  let tail: Promise<void> = Promise.resolve()
  let reachedEmitter: (() => void) | undefined

  broker.mq.emit = (packet, cb) => {
    const release = reachedEmitter
    reachedEmitter = undefined
    release?.()
    emit(packet, cb)
  }

  const ordered: Publish = (packet, client, done) => {
    if (typeof client === 'function') {
      done = client as Done
      client = null
    }
    if ((packet as Record<symbol, unknown>)[PUBLISHED_BEFORE_ACK] === true) {
      done?.(null)
      return
    }
    const previous = tail
    let release!: () => void
    tail = new Promise<void>(resolve => { release = resolve })
    void previous.then(() => {
      let released = false
      const once = (): void => {
        if (released) return
        released = true
        release()
      }
      reachedEmitter = once
      publish(packet, client, (err) => {
        once()
        done?.(err)
      })
    })
  }
  broker.publish = ordered

  return {
    async publishBeforeAck (packet, client) {
      await new Promise<void>((resolve, reject) => {
        ordered(packet, client, err => { if (err === undefined || err === null) resolve(); else reject(err) })
      })
      ;(packet as Record<symbol, unknown>)[PUBLISHED_BEFORE_ACK] = true
    },
    async drain () {
      await tail
    }
  }
}
