import { MimamoriError } from '../core/errors.js'
import { parseTopic, type ParsedTopic } from '../core/topics.js'
import type { HandlerContext } from './handlers/context.js'
import { handleGaugeUplink, UPLINK_FPORT } from './handlers/gauge.js'
import { handleChirpstackUplink } from './handlers/chirpstack.js'
import { handleLorawanUplink } from './handlers/lorawan.js'
import { parseGenericUp, parseTtsUp } from '../codecs/lorawan/uplink.js'
import { handleCameraImage } from './handlers/camera.js'
import { handleCameraDetection } from './handlers/camera-detection.js'
import { handleDeviceStatus } from './handlers/status.js'

/** One message as every intake hands it over: MQTT subscription, in-process broker feed or Redis stream. */
export interface IngestMessage {
  topic: string
  payload: Buffer
  /** arrival at the broker (stream) or at ingest, ms since epoch */
  receivedAt: number
  /** a retained copy replayed to a new subscription, not a live publish */
  retain?: boolean
}

type Route = 'gauge' | 'image' | 'detection' | 'status'

/** The handler for an already parsed topic (the topic is parsed once per message). */
function kindOf (t: ParsedTopic): Route | undefined {
  if (t.type !== 'device') return undefined
  if (t.channel === 'status') return 'status'
  if (t.kind === 'gauge' && t.channel === 'up') return 'gauge'
  if (t.kind === 'camera' && t.channel === 'image') return 'image'
  if (t.kind === 'camera' && t.channel === 'detection') return 'detection'
  return undefined
}

/**
 * The one topic → handler dispatch for every mode (all-in-one, `mimamori ingest`,
 * cluster worker). It only routes and counts; each handler validates and throws
 * a MimamoriError for what it refuses, which the caller settles.
 */
export function createRouter (ctx: HandlerContext): (msg: IngestMessage) => Promise<void> {
  const { stats } = ctx
  const count = (r: 'inserted' | 'duplicate', as: 'stored' | 'images'): void => {
    if (r === 'inserted') stats[as]++
    else stats.duplicates++
  }
  const stored = (r: 'inserted' | 'duplicate'): void => { count(r, 'stored') }
  return function route (msg) {
    const t = parseTopic(msg.topic)
    if (t === null) return Promise.reject(new MimamoriError('MIMAMORI_ERR_BAD_TOPIC', `no handler for topic ${msg.topic}`))
    // a gauge frame (nearly every message): no async frame of its own, a rejection from the handler as before
    if (t.type === 'device' && t.kind === 'gauge' && t.channel === 'up') {
      try {
        return handleGaugeUplink(ctx, t.deviceId, msg.payload, UPLINK_FPORT, msg.receivedAt).then(stored)
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return routeOther(t, msg)
  }

  async function routeOther (t: Readonly<ParsedTopic>, { topic, payload, receivedAt, retain = false }: IngestMessage): Promise<void> {
    if (t.type === 'chirpstack') {
      const r = await handleChirpstackUplink(ctx, t.devEui, payload, receivedAt)
      // a MAC-only or non-measurement uplink is settled without a reading
      if (r === 'inserted' || r === 'duplicate') count(r, 'stored')
      return
    }
    if (t.type === 'tts') {
      const up = parseTtsUp(payload, t.deviceId)
      if (up !== null) count(await handleLorawanUplink(ctx, up, receivedAt), 'stored')
      return
    }
    if (t.type === 'lorawan') {
      count(await handleLorawanUplink(ctx, parseGenericUp(payload, t.devEui), receivedAt), 'stored')
      return
    }
    switch (kindOf(t)) {
      case 'gauge': count(await handleGaugeUplink(ctx, t.deviceId, payload, UPLINK_FPORT, receivedAt), 'stored'); return
      case 'image': count(await handleCameraImage(ctx, t.deviceId, payload, receivedAt), 'images'); return
      case 'detection': count(await handleCameraDetection(ctx, t.deviceId, payload), 'stored'); return
      case 'status': handleDeviceStatus(ctx, t.kind, t.deviceId, payload, receivedAt, retain); return
      default: throw new MimamoriError('MIMAMORI_ERR_BAD_TOPIC', `no handler for topic ${topic}`)
    }
  }
}
