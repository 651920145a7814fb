import type { Config } from '../core/config/schema.js'
import { SERVICE_EVENTS_PREFIX } from '../core/bus-bridge.js'
import { parseTopic, topicMatches, TOPIC_PREFIX, type DeviceKind } from '../core/topics.js'
import type { AccountRole } from './registry.js'

/**
 * Who a connected client is, decided once at CONNECT (broker/auth.ts) and
 * consulted on every PUBLISH and SUBSCRIBE. Anonymous exists only when
 * broker.allowAnonymous is on (the demo).
 */
export type Identity =
  | { role: 'anonymous' }
  | { role: 'device', id: string, kind: DeviceKind }
  | { role: Exclude<AccountRole, 'device'>, id: string }

/** What a device of each kind may publish under its own mmr/v1/{kind}/{id}/. */
const DEVICE_CHANNELS: Record<DeviceKind, ReadonlySet<string>> = {
  gauge: new Set(['up', 'status']),
  camera: new Set(['image', 'detection', 'meta', 'status'])
}

/**
 * The ACL model (docs/broker.md):
 * - device: publishes only its own uplink/status topics, subscribes only to its own downlink;
 * - ingest: reads every device topic and network-server uplinks (ChirpStack, The Things Stack, generic), writes service events and downlinks;
 * - dashboard: reads service events and statuses, writes downlinks (operator configuration);
 * - anonymous (demo only): anything except `$SYS` (isReservedTopic).
 * Other `$` topics are ordinary topics for the ACL ([MQTT-4.7.2]: only wildcard
 * matching treats them differently, broker/dollar.ts); no role but anonymous has one.
 */
export function mayPublish (who: Identity, topic: string): boolean {
  if (isReservedTopic(topic)) return false
  switch (who.role) {
    case 'anonymous':
      return true
    case 'device': {
      const t = parseTopic(topic)
      return t !== null && t.type === 'device' && t.kind === who.kind && t.deviceId === who.id && DEVICE_CHANNELS[who.kind].has(t.channel)
    }
    case 'ingest':
      return topic.startsWith(SERVICE_EVENTS_PREFIX + '/') || isDownlink(topic)
    case 'dashboard':
      return isDownlink(topic)
    case 'chirpstack':
      // a network server account: ChirpStack events, a bridged The Things Stack uplink, our generic uplink
      return isChirpStackEvent(topic) || isNetworkServerUplink(topic)
  }
}

export function maySubscribe (who: Identity, filter: string): boolean {
  if (isReservedTopic(filter)) return false
  switch (who.role) {
    case 'anonymous':
      return true
    case 'device':
      return filter === `${TOPIC_PREFIX}/${who.kind}/${who.id}/down`
    case 'ingest':
      return filter.startsWith(`${TOPIC_PREFIX}/`) || filter.startsWith('application/') || filter.startsWith('v3/') || filter.startsWith('lorawan/')
    case 'dashboard':
      return filter.startsWith(SERVICE_EVENTS_PREFIX + '/') || /^mmr\/v1\/[^/#]+\/[^/#]+\/status$/.test(filter)
    case 'chirpstack':
      // the integration's downlink queue: application/{app}/device/{devEui}/command/down (wildcards allowed)
      return /^application\/[^/#]+\/device\/[^/#]+\/command\/down$/.test(filter)
  }
}

/**
 * `$SYS/…` belongs to the broker for every identity, anonymous included: Aedes
 * and its persistence coordinate through it (`$SYS/{broker}/new/clients` closes a
 * client of that id on every broker, `$SYS/sub/add` adds a subscription to the
 * shared store), and its heartbeats and subscription notices name other clients.
 */
export function isReservedTopic (topicOrFilter: string): boolean {
  return topicOrFilter.startsWith('$SYS') && (topicOrFilter.length === 4 || topicOrFilter.charCodeAt(4) === 47)
}

/** Client ids: a device's is its id (sessions cannot be taken over); a service's starts with its id. */
export function clientIdAllowed (who: Identity, clientId: string): boolean {
  switch (who.role) {
    case 'anonymous':
      return true
    case 'device':
      return clientId === who.id
    default:
      return clientId === who.id || clientId.startsWith(who.id + '-')
  }
}

/** ChirpStack v4 MQTT integration events: application/{app}/device/{devEui}/event/{up|join|status|ack|txack|log|location|integration} */
function isChirpStackEvent (topic: string): boolean {
  const p = topic.split('/')
  return p.length === 6 && p[0] === 'application' && p[1] !== '' && p[2] === 'device' && p[3] !== '' && p[4] === 'event' && CHIRPSTACK_EVENTS.has(p[5]!)
}
function isNetworkServerUplink (topic: string): boolean {
  const t = parseTopic(topic)
  return t !== null && (t.type === 'tts' || t.type === 'lorawan')
}
const CHIRPSTACK_EVENTS = new Set(['up', 'join', 'status', 'ack', 'txack', 'log', 'location', 'integration'])

function isDownlink (topic: string): boolean {
  const t = parseTopic(topic)
  return t !== null && t.type === 'device' && t.channel === 'down'
}

export type TopicClass = 'gauge' | 'image' | 'status' | 'other'

/** Payload ceiling per topic class: a gauge frame is 11 bytes, an image up to the configured limit. */
export function payloadLimit (topic: string, limits: Config['broker']['limits']): { cls: TopicClass, max: number } {
  const t = parseTopic(topic)
  if (t !== null && t.type === 'device') {
    switch (t.channel) {
      case 'up':
      case 'down':
        return { cls: 'gauge', max: limits.gaugePayloadBytes }
      case 'image':
      case 'detection':
        return { cls: 'image', max: limits.imagePayloadBytes }
      case 'status':
      case 'meta':
        return { cls: 'status', max: limits.statusPayloadBytes }
    }
  }
  return { cls: 'other', max: limits.otherPayloadBytes }
}

/**
 * The QoS a message is delivered at: min(published QoS, the highest QoS granted
 * among the client's subscriptions that match). Aedes looks the subscription up
 * by the exact topic only, so a QoS 2 message matched by a QoS 1 wildcard
 * subscription would go out at QoS 2; broker/index.ts corrects it in authorizeForward.
 */
export function deliveryQos (subscriptions: Record<string, { qos?: number }>, topic: string, publishedQos: 0 | 1 | 2): 0 | 1 | 2 {
  let granted = -1
  for (const [filter, sub] of Object.entries(subscriptions)) {
    if ((sub.qos ?? 0) > granted && topicMatches(filter, topic)) granted = sub.qos ?? 0
    if (granted >= publishedQos) return publishedQos
  }
  return granted < 0 ? publishedQos : Math.min(granted, publishedQos) as 0 | 1 | 2
}
