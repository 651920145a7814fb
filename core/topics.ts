/**
 * MQTT topic tree (see ARCHITECTURE.md). Builders and one parser live together
 * so a topic is never assembled by hand elsewhere.
 */
export const TOPIC_PREFIX = 'mmr/v1'
export type DeviceKind = 'gauge' | 'camera'
export type DeviceChannel = 'up' | 'image' | 'detection' | 'meta' | 'status' | 'down'

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function isValidDeviceId (id: string): boolean {
  return DEVICE_ID.test(id)
}

export function deviceTopic (kind: DeviceKind, deviceId: string, channel: DeviceChannel): string {
  return `${TOPIC_PREFIX}/${kind}/${deviceId}/${channel}`
}

export const SUBSCRIPTIONS = {
  gaugeUplinks: `${TOPIC_PREFIX}/gauge/+/up`,
  cameraImages: `${TOPIC_PREFIX}/camera/+/image`,
  /** cameras with on-device inference send detections + a thumbnail instead of images (edge/camera/on-device.ts) */
  cameraDetections: `${TOPIC_PREFIX}/camera/+/detection`,
  status: `${TOPIC_PREFIX}/+/+/status`,
  chirpstackUplinks: 'application/+/device/+/event/up',
  /** The Things Stack v3 MQTT integration, bridged into our broker (docs/devices.md) */
  ttsUplinks: 'v3/+/devices/+/up',
  /** our generic LoRaWAN uplink JSON (codecs/lorawan/uplink.ts), also what the signed webhook forwards */
  lorawanUplinks: 'lorawan/+/up'
} as const

/** Every filter ingest subscribes to; the cluster stream filter (broker/cluster.ts) is derived from the same list. */
export const INGEST_SUBSCRIPTIONS: readonly string[] = Object.values(SUBSCRIPTIONS)

/**
 * MQTT 3.1.1 filter matching ([MQTT-4.7]), the one implementation for the
 * broker (ACL, delivery QoS, $-topics) and ingest: `+` matches exactly one
 * level (an empty one too), `#` the rest including the parent level
 * (`a/#` matches `a`), and topics starting with `$` never match a filter
 * whose first level is a wildcard [MQTT-4.7.2-1]. Filters are assumed valid
 * (the broker refuses invalid ones at SUBSCRIBE).
 */
export function topicMatches (filter: string, topic: string): boolean {
  if (filter === topic) return true
  if (topic.charCodeAt(0) === 36 /* $ */ && (filter.charCodeAt(0) === 43 /* + */ || filter.charCodeAt(0) === 35 /* # */)) return false
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    const part = f[i]
    if (part === '#') return true
    if (i >= t.length) return false
    if (part !== '+' && part !== t[i]) return false
  }
  return f.length === t.length
}

/**
 * A bounded memo per topic string: a device publishes to the same few topics all its life, and the
 * broker and ingest look at every message's topic (ACL, ingest check, routing). Dropped whole when
 * full, so topics invented by a client cannot grow it without bound. Results are shared: read-only.
 */
function memo<T> (fn: (topic: string) => T, max = 100_000): (topic: string) => T {
  let cache = new Map<string, T>()
  return topic => {
    const hit = cache.get(topic)
    if (hit !== undefined || cache.has(topic)) return hit as T
    const v = fn(topic)
    if (cache.size >= max) cache = new Map()
    cache.set(topic, v)
    return v
  }
}

/** True for a topic one of INGEST_SUBSCRIPTIONS matches (and that ingest can therefore route). */
export const isIngestTopic: (topic: string) => boolean = memo(topic => {
  for (const filter of INGEST_SUBSCRIPTIONS) if (topicMatches(filter, topic)) return true
  return false
})

export type ParsedTopic =
  | { type: 'device', kind: DeviceKind, deviceId: string, channel: DeviceChannel }
  | { type: 'chirpstack', applicationId: string, devEui: string }
  | { type: 'tts', applicationId: string, tenant: string, deviceId: string }
  | { type: 'lorawan', devEui: string }

const KINDS = new Set<string>(['gauge', 'camera'])
const CHANNELS = new Set<string>(['up', 'image', 'detection', 'meta', 'status', 'down'])

/** The topic's meaning, memoised per topic string (the returned object is shared: never change it). */
export const parseTopic: (topic: string) => Readonly<ParsedTopic> | null = memo(parseTopicOnce)

function parseTopicOnce (topic: string): ParsedTopic | null {
  const parts = topic.split('/')
  if (parts.length === 5 && parts[0] === 'mmr' && parts[1] === 'v1') {
    const [, , kind, deviceId, channel] = parts as [string, string, string, string, string]
    if (!KINDS.has(kind) || !CHANNELS.has(channel) || !isValidDeviceId(deviceId)) return null
    return { type: 'device', kind: kind as DeviceKind, deviceId, channel: channel as DeviceChannel }
  }
  if (parts.length === 6 && parts[0] === 'application' && parts[2] === 'device' && parts[4] === 'event' && parts[5] === 'up') {
    return { type: 'chirpstack', applicationId: parts[1]!, devEui: parts[3]! }
  }
  // v3/{application id}@{tenant id}/devices/{device id}/up (The Things Stack; the tenant part is "ttn" on TTN)
  if (parts.length === 5 && parts[0] === 'v3' && parts[2] === 'devices' && parts[4] === 'up' && parts[3] !== '') {
    const at = parts[1]!.lastIndexOf('@')
    const applicationId = at < 0 ? parts[1]! : parts[1]!.slice(0, at)
    if (applicationId === '') return null
    return { type: 'tts', applicationId, tenant: at < 0 ? '' : parts[1]!.slice(at + 1), deviceId: parts[3]! }
  }
  if (parts.length === 3 && parts[0] === 'lorawan' && parts[2] === 'up' && /^[0-9A-Fa-f]{16}$/.test(parts[1]!)) {
    return { type: 'lorawan', devEui: parts[1]! }
  }
  return null
}
