import type { IPublishPacket } from 'mqtt'
import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import { toMimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { parseTopic, SUBSCRIPTIONS } from '../core/topics.js'
import { classifyLevel } from '../core/levels.js'
import type { Store } from './store/store.js'
import { createStats, countRejection, type IngestStats } from './stats.js'
import type { HandlerContext } from './handlers/context.js'
import { handleGaugeUplink, UPLINK_FPORT } from './handlers/gauge.js'
import { handleChirpstackUplink } from './handlers/chirpstack.js'
import { handleCameraImage } from './handlers/camera.js'
import { handleCameraDetection } from './handlers/camera-detection.js'
import { handleDeviceStatus } from './handlers/status.js'
import { createWildlife, type Wildlife } from './wildlife/index.js'
import { redactUrl } from '../broker/secrets.js'

export interface Ingest {
  start(): Promise<void>
  /** stop taking messages; in-flight ones finish and are acked first */
  close(): Promise<void>
  readonly stats: Readonly<IngestStats>
  /** camera frames → monkey detection → sightings → hunter alerts */
  readonly wildlife: Wildlife
}

export interface IngestDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  /** broker URL; the all-in-one passes its own broker's actual port */
  mqttUrl: string
  /** arrival time source (ms); a data-time replay passes its clock so frame times resolve against data time */
  clock?: (() => number) | undefined
}

/**
 * Subscribes to device topics over real MQTT (so it runs the same in one
 * process or many), decodes, validates, stores, then emits on the bus.
 * A QoS 1 message is acked only after its outcome is settled: stored, or
 * refused for a reason that a redelivery cannot fix.
 */
export function createIngest ({ config, logger, bus, store, mqttUrl, clock = Date.now }: IngestDeps): Ingest {
  const log = logger.child({ component: 'ingest' })
  const stats = createStats()
  const wildlife = createWildlife({ config, logger, bus, store })
  const ctx: HandlerContext = { config, logger: log, bus, store, stats, lastStatus: new Map(), lastTime: new Map(), wildlife }
  let client: MqttClient | undefined
  let inFlight = 0
  let drained: (() => void) | undefined
  let closing: Promise<void> | undefined
  let accepting = false

  async function route (packet: IPublishPacket): Promise<void> {
    const receivedAt = clock()
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const topic = parseTopic(packet.topic)
    if (topic !== null && topic.type === 'chirpstack') {
      const r = await handleChirpstackUplink(ctx, topic.devEui, payload, receivedAt)
      if (r === 'inserted') stats.stored++
      else if (r === 'duplicate') stats.duplicates++
      return
    }
    if (topic === null || topic.type !== 'device') {
      throw toMimamoriError(new Error(`no handler for topic ${packet.topic}`), 'MIMAMORI_ERR_BAD_TOPIC')
    }
    if (topic.kind === 'gauge' && topic.channel === 'up') {
      const r = await handleGaugeUplink(ctx, topic.deviceId, payload, UPLINK_FPORT, receivedAt)
      if (r === 'inserted') stats.stored++
      else if (r === 'duplicate') stats.duplicates++
      return
    }
    if (topic.kind === 'camera' && topic.channel === 'image') {
      const r = await handleCameraImage(ctx, topic.deviceId, payload, receivedAt)
      if (r === 'inserted') stats.images++
      else stats.duplicates++
      return
    }
    if (topic.kind === 'camera' && topic.channel === 'detection') {
      const r = await handleCameraDetection(ctx, topic.deviceId, payload)
      if (r === 'inserted') stats.stored++
      else stats.duplicates++
      return
    }
    if (topic.channel === 'status') {
      handleDeviceStatus(ctx, topic.kind, topic.deviceId, payload, receivedAt, packet.retain)
      return
    }
    throw toMimamoriError(new Error(`no handler for topic ${packet.topic}`), 'MIMAMORI_ERR_BAD_TOPIC')
  }

  function onMessage (packet: IPublishPacket, ack: (err?: Error) => void): void {
    if (!accepting) return // not acked: the broker keeps it for the next session
    stats.received++
    inFlight++
    route(packet).then(() => { settle(ack) }, (err: unknown) => {
      const e = toMimamoriError(err)
      if (e.code === 'MIMAMORI_ERR_STORE' || e.code === 'MIMAMORI_ERR_CLOSED') {
        // Storage trouble is not the device's fault: withhold the ack and
        // reconnect so the broker redelivers from the persistent session.
        log.error({ err: e.message, topic: packet.topic }, 'store failed; message left unacknowledged for redelivery')
        countRejection(stats, e.code)
        finishInFlight()
        client?.stream.destroy()
        return
      }
      countRejection(stats, e.code)
      bus.emit('rejected', { code: e.code, source: packet.topic, message: e.message, time: Date.now() })
      log.warn({ code: e.code, topic: packet.topic, err: e.message }, 'message rejected')
      settle(ack)
    })
  }

  function settle (ack: (err?: Error) => void): void {
    ack()
    finishInFlight()
  }

  function finishInFlight (): void {
    inFlight--
    if (inFlight === 0 && drained !== undefined) drained()
  }

  return {
    stats,
    wildlife,
    async start () {
      await wildlife.start()
      // Seed the band cache from storage so a restart does not re-announce every station.
      for (const [stationId, r] of await store.latestReadings()) {
        const s = store.getStation(stationId)
        if (s === undefined) continue
        ctx.lastStatus.set(stationId, classifyLevel(r.level, s.thresholds))
        ctx.lastTime.set(stationId, r.time)
      }
      accepting = true
      client = await connectMqtt({
        url: mqttUrl,
        clientId: config.ingest.clientId,
        username: config.ingest.username,
        password: config.ingest.password,
        clean: false,
        logger: log
      })
      client.handleMessage = onMessage
      const topics = [SUBSCRIPTIONS.gaugeUplinks, SUBSCRIPTIONS.cameraImages, SUBSCRIPTIONS.cameraDetections, SUBSCRIPTIONS.status, SUBSCRIPTIONS.chirpstackUplinks]
      await client.subscribeAsync(topics.map(t => t), { qos: 1 })
      log.info({ url: redactUrl(mqttUrl), topics }, 'ingest subscribed')
    },
    async close () {
      closing ??= (async () => {
        accepting = false
        if (inFlight > 0) await new Promise<void>(resolve => { drained = resolve })
        await endMqtt(client)
        await wildlife.close()
        log.info({ stats }, 'ingest closed')
      })()
      return await closing
    }
  }
}
