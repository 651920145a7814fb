import type { Client, PublishPacket } from 'aedes'
import { MimamoriError } from '../../core/errors.js'
import { isIngestTopic } from '../../core/topics.js'
import { mayPublish, payloadLimit, type Identity } from '../acl.js'
import type { BrokerContext } from '../context.js'

type Done = (err?: Error | null) => void
const RESOLVED = Promise.resolve()

/** the same rules as for a PUBLISH: the ACL, then the payload limit of the topic class */
export function publishRefusal (ctx: BrokerContext, who: Identity | undefined, topic: string, payload: Buffer | string): MimamoriError | undefined {
  if (who === undefined || !mayPublish(who, topic)) {
    return new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `publish to ${topic} not allowed`, { details: { reason: 'not_authorized' } })
  }
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
  // hot path: below every class limit (an 11-byte gauge frame) the topic need not be classified
  if (size <= ctx.packetLimits.smallestPayloadLimit) return undefined
  const { cls, max } = payloadLimit(topic, ctx.b.limits)
  if (size > max) {
    return new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `${cls} payload of ${size} bytes exceeds ${max}`, { details: { reason: 'payload_too_large' } })
  }
  return undefined
}

/**
 * Aedes' authorizePublish: the ACL and payload limit, then (ingest topics) the hand-over
 * to ingest or the cluster stream, then (QoS 1) the persistence, all before the PUBACK.
 */
export function createAuthorizePublish (ctx: BrokerContext): (client: Client | null, packet: PublishPacket, done: Done) => void {
  /** to ingest before the PUBACK: the cluster's Redis stream, or the all-in-one's ingest in-process */
  function handOver (packet: PublishPacket): Promise<void> {
    if (ctx.feed !== undefined) return ctx.feed.append(packet)
    if (ctx.intake === undefined || !isIngestTopic(packet.topic)) return RESOLVED
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    return ctx.intake.take({ topic: packet.topic, payload, qos: packet.qos })
  }

  /** QoS 1: into the persistence before Aedes writes the PUBACK (broker/ordering.ts) */
  function persist (client: Client, packet: PublishPacket, done: Done): void {
    if (packet.qos !== 1 || ctx.order === undefined) { done(null); return }
    ctx.order.publishBeforeAck(packet, client, done)
  }

  function finishPublish (client: Client, packet: PublishPacket, done: Done): void {
    // no closure per message unless something is handed over first (QoS 0 fan-in profile)
    if (ctx.feed === undefined && ctx.intake === undefined) { persist(client, packet, done); return }
    handOver(packet).then(() => { persist(client, packet, done) }, (err: Error) => { done(err) })
  }

  /**
   * A will is published with its client when the connection drops, and with
   * `client === null` when a broker finds the will of a dead (or restarted) broker in
   * the persistence; then the identity comes from the will's client id.
   */
  function authorizeWill (client: Client | null, packet: PublishPacket & { clientId?: string, brokerId?: string }, done: Done): void {
    const clientId = client?.id ?? packet.clientId ?? ''
    const who = client !== null ? ctx.auth?.identityOf(client) : ctx.auth?.identityFor(clientId)
    // a dead broker's client was last seen by the registry (CONNECT / DISCONNECT), a live one now
    const lastSeen = client !== null ? Date.now() : ctx.registry?.get(clientId)?.lastSeen ?? null
    const refused = publishRefusal(ctx, who, packet.topic, packet.payload)
    if (refused !== undefined) { refuseWill(client, packet, clientId, refused, done); return }
    ctx.status.completeWill(packet, lastSeen)
    if (client !== null) { finishPublish(client, packet, done); return }
    // nobody waits for an ack: into the cluster stream or ingest (a status is an ingest topic), then published
    handOver(packet).then(() => { done(null) }, (err: Error) => { done(err) })
  }

  function refuseWill (client: Client | null, packet: PublishPacket & { brokerId?: string }, clientId: string, refused: MimamoriError, done: Done): void {
    ctx.counters.deniedPublish++
    ctx.countClose('will_not_authorized')
    ctx.log.warn({ clientId, topic: packet.topic, reason: refused.details?.reason }, 'last will refused')
    if (client !== null) { done(refused); return }
    // Aedes retries a will until it is published; a refused one is deleted here, then the
    // error reaches aedes' 'error' event (handled in broker/hooks/events.ts).
    const store = (ctx.aedes as unknown as { persistence: { delWill(c: { id: string, brokerId?: string }): Promise<unknown> } } | undefined)?.persistence
    const gone = store === undefined ? Promise.resolve() : store.delWill({ id: clientId, ...(packet.brokerId === undefined ? {} : { brokerId: packet.brokerId }) })
    const fail = (): void => { done(new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `will of ${clientId} to ${packet.topic} refused`, { details: { reason: 'will_not_authorized' } })) }
    gone.then(fail, fail)
  }

  return function authorizePublish (client, packet, done) {
    if (client === null || packet === (client as unknown as { will?: unknown }).will) { authorizeWill(client, packet, done); return }
    const who = ctx.auth?.identityOf(client)
    const refused = publishRefusal(ctx, who, packet.topic, packet.payload)
    if (refused !== undefined) {
      if (refused.details?.reason === 'not_authorized') ctx.counters.deniedPublish++
      done(refused)
      return
    }
    if (packet.topic.endsWith('/status')) ctx.status.note(packet)
    finishPublish(client, packet, done)
  }
}
