import type { Aedes } from 'aedes'

type Done = (err?: Error | null) => void
type Publish = (packet: unknown, client?: unknown, done?: Done) => void
type Emit = (packet: unknown, cb?: Done) => void

/**
 * Keeps packets reaching the emitter in broker-counter order.
 *
 * Aedes drops a packet for a subscriber when one with a higher broker counter
 * reached that subscriber first (its per-client `dedupe`, there to suppress
 * replays during a session resume). Each publish awaits the persistence
 * (storeRetained → subscriptionsByTopic → outgoingEnqueueCombi) before it is
 * emitted; with an on-disk or networked backend those awaits finish out of
 * order under load, so a packet could overtake an earlier one and the earlier
 * one then sat in the persistent session, undelivered, until the subscriber
 * reconnected (seen: 1–10 of 300 QoS 1 frames per run, every retained frame
 * that raced a plain one). Here publish N+1 starts only once publish N has
 * reached the emitter (or failed), so the per-packet persistence work still
 * overlaps with delivery, but the order into the emitter is the counter order.
 * The slow part that remains serial is one persistence write per packet.
 */
export function preservePublishOrder (aedes: Aedes): void {
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

  broker.publish = (packet, client, done) => {
    if (typeof client === 'function') {
      done = client as Done
      client = null
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
}
