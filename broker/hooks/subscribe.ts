import type { AedesPublishPacket, Client, Subscription } from 'aedes'
import { deliveryQos, maySubscribe } from '../acl.js'
import type { BrokerContext } from '../context.js'
import { dollarDeliverable } from '../dollar.js'

/** Aedes' authorizeSubscribe: a refused filter is answered 0x80 in the SUBACK, the connection stays */
export function createAuthorizeSubscribe (ctx: BrokerContext): (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void) => void {
  return function authorizeSubscribe (client, sub, done) {
    const who = ctx.auth?.identityOf(client)
    if (who !== undefined && maySubscribe(who, sub.topic)) { done(null, sub); return }
    ctx.counters.deniedSubscribe++
    ctx.log.debug({ clientId: client.id, topic: sub.topic }, 'subscription refused')
    done(null, null)
  }
}

/** Aedes' authorizeForward: $-topics only to filters that name them, and the QoS each subscriber was granted */
export function authorizeForward (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
  const subs = (client as unknown as { subscriptions: Record<string, { qos?: number }> }).subscriptions
  if (!dollarDeliverable(subs, packet.topic)) return null
  if (packet.qos === 0 || grantedAtLeast(subs, packet.qos)) return packet
  const qos = deliveryQos(subs, packet.topic, packet.qos)
  return qos === packet.qos ? packet : Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as object, packet, { qos }) as typeof packet
}

/** hot path: no downgrade is possible when every subscription of the client was granted at least this QoS */
function grantedAtLeast (subs: Record<string, { qos?: number }>, qos: number): boolean {
  for (const filter in subs) if ((subs[filter]?.qos ?? 0) < qos) return false
  return true
}
