import { createWriteStream, type WriteStream } from 'node:fs'
import { MimamoriError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../../core/mqtt.js'
import { TOPIC_PREFIX } from '../../core/topics.js'
import { headerLine, messageLine } from './format.js'

/** What devices publish (never downlinks or service events): the traffic a replay can send again. */
export const DEVICE_TOPICS: readonly string[] = [
  `${TOPIC_PREFIX}/gauge/+/up`,
  `${TOPIC_PREFIX}/gauge/+/status`,
  `${TOPIC_PREFIX}/camera/+/image`,
  `${TOPIC_PREFIX}/camera/+/detection`,
  `${TOPIC_PREFIX}/camera/+/meta`,
  `${TOPIC_PREFIX}/camera/+/status`,
  'application/+/device/+/event/up'
]

export interface RecorderStats {
  messages: number
  bytes: number
  devices: number
  lastAt: number | undefined
}

export interface Recorder {
  start(): Promise<void>
  readonly stats: RecorderStats
  /** stops listening and flushes the file; idempotent */
  close(): Promise<void>
}

export interface RecorderOptions {
  url: string
  file: string
  topics?: readonly string[]
  /** an `ingest`-role account may read every device topic (broker/acl.ts); anonymous on the demo broker */
  clientId?: string
  username?: string
  password?: string
  logger: Logger
  /** overwrite an existing file (default: refuse) */
  overwrite?: boolean
  onMessage?: (stats: RecorderStats) => void
  clock?: () => number
}

/**
 * Subscribes to the device topics (QoS 2, so each message arrives with the QoS
 * its publisher used) and appends every message to an NDJSON file as it arrives.
 * Retained status messages come first, flagged retain: the state a replay starts from.
 */
export function createRecorder (o: RecorderOptions): Recorder {
  const topics = o.topics ?? DEVICE_TOPICS
  const clock = o.clock ?? Date.now
  const stats: RecorderStats = { messages: 0, bytes: 0, devices: 0, lastAt: undefined }
  const devices = new Set<string>()
  let out: WriteStream | undefined
  let client: MqttClient | undefined
  let closing: Promise<void> | undefined

  return {
    stats,
    async start () {
      const stream = createWriteStream(o.file, { flags: o.overwrite === true ? 'w' : 'wx' })
      await new Promise<void>((resolve, reject) => { stream.once('open', () => { resolve() }); stream.once('error', reject) })
      out = stream
      stream.write(headerLine({ startedAt: new Date(clock()).toISOString(), broker: o.url.replace(/\/\/[^@/]*@/, '//'), topics: [...topics] }))
      client = await connectMqtt({
        url: o.url,
        clientId: o.clientId ?? `${o.username === undefined || o.username === '' ? 'mimamori' : o.username}-recorder-${process.pid}`,
        ...(o.username === undefined ? {} : { username: o.username, password: o.password ?? '' }),
        logger: o.logger.child({ component: 'recorder' })
      })
      client.on('message', (topic, payload, packet) => {
        const time = clock()
        stream.write(messageLine({ time, topic, qos: packet.qos, retain: packet.retain, payload }))
        stats.messages++
        stats.bytes += payload.length
        stats.lastAt = time
        const p = topic.split('/')
        devices.add(p[0] === 'application' ? `lorawan:${p[3] ?? ''}` : `${p[2] ?? ''}:${p[3] ?? ''}`)
        stats.devices = devices.size
        o.onMessage?.(stats)
      })
      const granted = await client.subscribeAsync([...topics], { qos: 2 })
      const refused = granted.filter(g => g.qos === 128).map(g => g.topic)
      if (refused.length === topics.length) {
        throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `the broker refused every subscription (${refused.join(', ')}): record with an ingest-role account (mimamori device add --kind ingest …) or on the demo broker`)
      }
      if (refused.length > 0) o.logger.warn({ refused }, 'the broker refused these subscriptions (ACL): record with an ingest-role account')
    },
    async close () {
      closing ??= (async () => {
        await endMqtt(client)
        const stream = out
        if (stream !== undefined) await new Promise<void>(resolve => { stream.end(() => { resolve() }) })
      })()
      return await closing
    }
  }
}
