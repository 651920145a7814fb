import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Logger } from '../../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../../core/mqtt.js'
import { parseTopic } from '../../core/topics.js'
import type { FleetCredentials } from '../fleet.js'
import { isHeader, parseLine, type RecordedMessage, type RecordingHeader } from './format.js'

export interface RecordingSummary {
  header: RecordingHeader | undefined
  messages: number
  bytes: number
  /** receive times of the first and last message, ms */
  from: number
  to: number
  /** device ids (kind:id) and other publishers (ChirpStack) */
  publishers: string[]
}

/** Reads every line once: a broken line fails here, before anything is sent. */
export async function scanRecording (file: string): Promise<RecordingSummary> {
  const s: RecordingSummary = { header: undefined, messages: 0, bytes: 0, from: Infinity, to: -Infinity, publishers: [] }
  const publishers = new Set<string>()
  await eachLine(file, m => {
    if (isHeader(m)) { s.header = m; return }
    s.messages++
    s.bytes += m.payload.length
    s.from = Math.min(s.from, m.time)
    s.to = Math.max(s.to, m.time)
    publishers.add(publisherOf(m.topic).key)
  })
  s.publishers = [...publishers].sort()
  if (s.messages === 0) { s.from = 0; s.to = 0 }
  return s
}

async function eachLine (file: string, fn: (m: RecordedMessage | RecordingHeader) => Promise<void> | void): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let n = 0
  for await (const line of lines) {
    n++
    const m = parseLine(line, n)
    if (m !== undefined) await fn(m)
  }
}

/** who sends a topic again: the device itself (its own client id and account), or one client for the rest */
function publisherOf (topic: string): { key: string, kind?: 'gauge' | 'camera', id?: string } {
  const t = parseTopic(topic)
  if (t?.type === 'device') return { key: `${t.kind}:${t.deviceId}`, kind: t.kind, id: t.deviceId }
  return { key: 'other' }
}

export interface PlayProgress {
  sent: number
  total: number
  /** receive time of the message just sent */
  time: number
  failed: number
}

export interface PlayOptions {
  file: string
  url: string
  /** recorded time per wall time; 'max' sends as fast as the broker acks */
  speed: number | 'max'
  logger: Logger
  /** a device's own credentials (sim-credentials.json); undefined = anonymous */
  credentials?: FleetCredentials | undefined
  /** for topics that are not a device's (ChirpStack events): a chirpstack-role account */
  username?: string | undefined
  password?: string | undefined
  /** a publish not acked within this counts as failed (default 10 s) */
  publishTimeoutMs?: number
  onProgress?: (p: PlayProgress) => void
  summary?: RecordingSummary
}

export interface PlayResult {
  sent: number
  failed: number
  /** failures by reason, e.g. { 'camera:cam-01: not authorised': 3 } */
  failures: Record<string, number>
  wallMs: number
  recordedMs: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/**
 * Sends a recording again, in recorded order, each message from its own
 * device's MQTT client (client id = device id, the device's credentials), with
 * the recorded QoS and retain flag and the recorded gaps divided by `speed`.
 * Frames keep their own time tags, so the platform stores the original data times.
 */
export async function playRecording (o: PlayOptions): Promise<PlayResult> {
  const summary = o.summary ?? await scanRecording(o.file)
  const clients = new Map<string, Promise<MqttClient>>()
  const failures: Record<string, number> = {}
  let sent = 0
  let failed = 0
  const started = performance.now()
  const log = o.logger.child({ component: 'replay' })
  const clientFor = async (topic: string): Promise<MqttClient> => {
    const p = publisherOf(topic)
    let c = clients.get(p.key)
    if (c === undefined) {
      const creds = p.kind === undefined
        ? (o.username === undefined ? undefined : { username: o.username, password: o.password ?? '' })
        : o.credentials?.(p.kind, p.id!)
      c = connectMqtt({
        url: o.url,
        clientId: p.id ?? `${o.username ?? 'mimamori'}-replay-${process.pid}`,
        ...(creds ?? {}),
        logger: log.child({ publisher: p.key })
      })
      clients.set(p.key, c)
    }
    return await c
  }
  try {
    await eachLine(o.file, async m => {
      if (isHeader(m)) return
      if (o.speed !== 'max') {
        const wait = started + (m.time - summary.from) / o.speed - performance.now()
        if (wait > 1) await sleep(wait)
      }
      try {
        const c = await clientFor(m.topic)
        let timer: NodeJS.Timeout | undefined
        try {
          await Promise.race([
            c.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain }),
            new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('publish not acknowledged in time')) }, o.publishTimeoutMs ?? 10_000) })
          ])
        } finally {
          clearTimeout(timer)
        }
        sent++
      } catch (err) {
        failed++
        const why = `${publisherOf(m.topic).key}: ${(err as Error).message}`
        failures[why] = (failures[why] ?? 0) + 1
        log.debug({ topic: m.topic, err: (err as Error).message }, 'replayed message not delivered')
      }
      o.onProgress?.({ sent, total: summary.messages, time: m.time, failed })
    })
  } finally {
    await Promise.all([...clients.values()].map(async c => { await endMqtt(await c.catch(() => undefined)) }))
  }
  return { sent, failed, failures, wallMs: performance.now() - started, recordedMs: summary.to - summary.from }
}
