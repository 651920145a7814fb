import type { Aedes } from 'aedes'
import { topicMatches } from '../core/topics.js'

/** '$' */
const DOLLAR = 36

/**
 * [MQTT-4.7.2-1]: a filter starting with a wildcard (`#`, `+/…`) never matches a
 * topic starting with `$`. Aedes keeps that rule only on its live delivery path
 * (the subscriber function is wrapped); three other paths match by filter alone:
 *
 * - the offline queue of a persistent session: Aedes filters wildcard subscribers
 *   out of `subscriptionsByTopic` for `$SYS/…` topics only, so a QoS 1 `$TopicA/B`
 *   was queued for a `#` subscriber and handed to it on its next CONNECT;
 * - retained messages sent on SUBSCRIBE (a retained `$TopicA/B` went to a new `#`);
 * - the resumed queue itself on reconnect.
 *
 * `keepDollarTopicsFromWildcards` fixes the first at the source (nothing queued);
 * `dollarDeliverable`, called from authorizeForward (every delivery path passes it),
 * drops what a client only receives through a wildcard at the first level.
 */
export function keepDollarTopicsFromWildcards (aedes: Aedes): void {
  type Sub = { clientId: string, topic: string, qos: number }
  type ByTopic = (topic: string, cb?: (err: Error | null, subs?: Sub[]) => void) => Promise<Sub[]> | undefined
  type ByClient = (client: { id: string }) => Promise<Sub[] | null>
  const persistence = (aedes as unknown as { persistence: { subscriptionsByTopic: ByTopic, subscriptionsByClient: ByClient } }).persistence
  const byTopic = persistence.subscriptionsByTopic.bind(persistence)
  const byClient = persistence.subscriptionsByClient.bind(persistence)

  /**
   * The stores answer one entry per client (the highest QoS among its matching
   * filters), so a client subscribed to both `#` and `$TopicA/B` may come back as
   * `#` alone: a wildcard entry is replaced by the client's own `$` filter that
   * matches, or dropped when it has none.
   */
  const withoutWildcards = async (topic: string, subs: Sub[]): Promise<Sub[]> => {
    const out: Sub[] = []
    for (const sub of subs) {
      if (!leadingWildcard(sub.topic)) { out.push(sub); continue }
      const own = await byClient({ id: sub.clientId }) ?? []
      let named: Sub | undefined
      for (const o of own) {
        if (o.qos > 0 && o.topic.charCodeAt(0) === DOLLAR && topicMatches(o.topic, topic) && (named === undefined || o.qos > named.qos)) named = o
      }
      if (named !== undefined) out.push({ ...sub, topic: named.topic, qos: named.qos })
    }
    return out
  }

  persistence.subscriptionsByTopic = (topic, cb) => {
    if (topic.charCodeAt(0) !== DOLLAR) return byTopic(topic, cb)
    const filtered = (byTopic(topic) ?? Promise.resolve([])).then(async subs => await withoutWildcards(topic, subs))
    if (cb === undefined) return filtered
    filtered.then(subs => { cb(null, subs) }, (err: Error) => { cb(err) })
    return undefined
  }
}

/**
 * Hot path (authorizeForward): true unless `topic` starts with `$` and the client
 * has no subscription that matches it without a leading wildcard.
 */
export function dollarDeliverable (subscriptions: Record<string, unknown>, topic: string): boolean {
  if (topic.charCodeAt(0) !== DOLLAR) return true
  for (const filter in subscriptions) {
    if (filter.charCodeAt(0) === DOLLAR && topicMatches(filter, topic)) return true
  }
  return false
}

function leadingWildcard (filter: string): boolean {
  const c = filter.charCodeAt(0)
  return c === 35 || c === 43
}
