import type { IPublishPacket } from 'mqtt'
import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { redactUrl } from '../core/secret-hash.js'
import type { Alerts } from '../alerts/index.js'
import { createIngestPipeline, type IngestOutcome, type IngestPipeline } from './pipeline.js'
import { createTtsIntake } from './tts-intake.js'
import { INGEST_SUBSCRIPTIONS } from '../core/topics.js'
import type { Store } from '../store/store.js'

export { createIngestPipeline, type IngestPipeline, type IngestOutcome } from './pipeline.js'
export type { IngestMessage } from './router.js'

export interface Ingest {
  start(): Promise<void>
  /** stop taking messages; in-flight ones finish and are settled first */
  close(): Promise<void>
  readonly stats: IngestPipeline['stats']
  /** camera frames → monkey detection → sightings → hunter alerts */
  readonly wildlife: IngestPipeline['wildlife']
  readonly rules: IngestPipeline['rules']
  readonly alerts: Alerts
  /** vendor codec plug-ins: loaded, refused, per-codec failure counts */
  readonly codecs: IngestPipeline['codecs']
  /**
   * the in-process intake (broker/index.ts `intake`): settles one message the broker
   * received and resolves once its outcome is durable; rejects when it must come again
   */
  take(msg: { topic: string, payload: Buffer, retain?: boolean, qos?: 0 | 1 | 2 }): Promise<void>
}

export interface IngestDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  /**
   * broker URL to subscribe to (a separate `mimamori ingest`, or a broker elsewhere);
   * undefined in the all-in-one, where the broker hands messages over in-process (`take`)
   */
  mqttUrl?: string | undefined
  /** the process's one alert service, built by the composition root (cli/) */
  alerts: Alerts
  /** arrival time source (ms); a data-time replay passes its clock so frame times resolve against data time */
  clock?: (() => number) | undefined
}

/**
 * Ingest's intakes around the one pipeline (ingest/pipeline.ts).
 *
 * - In-process (all-in-one): the broker calls `take` from authorizePublish for every ingest
 *   topic and writes the device's PUBACK only after it resolves, so the reading is in our store
 *   before the device may forget it, and the broker keeps no per-message session copy for ingest.
 *   Concurrent messages share one transaction (group commit in the store).
 * - MQTT (`mqttUrl`): a persistent session (clean: false) subscribed to INGEST_SUBSCRIPTIONS.
 *   MQTT.js's `handleMessage` is overridden so the PUBACK is sent only after the message settles;
 *   storage trouble withholds the ack and drops the connection, so the broker redelivers.
 */
export function createIngest ({ config, logger, bus, store, mqttUrl, alerts, clock = Date.now }: IngestDeps): Ingest {
  const log = logger.child({ component: 'ingest' })
  const pipeline = createIngestPipeline({ config, logger, bus, store, alerts, clock })
  // The Things Stack's own MQTT server, when configured (lorawan.tts): a second intake into the same pipeline
  const tts = createTtsIntake({ config, logger: log, clock, handle: async msg => await pipeline.handle(msg) })
  let client: MqttClient | undefined
  let inFlight = 0
  let drained: (() => void) | undefined
  let closing: Promise<void> | undefined
  let accepting = false

  function finishInFlight (): void {
    inFlight--
    if (inFlight === 0 && drained !== undefined) drained()
  }

  /** the end of a QoS 1 message taken in-process: resolves when settled, rejects when it must come again */
  const settleTaken = (outcome: IngestOutcome): void => {
    finishInFlight()
    if (outcome === 'retry') throw unavailable()
  }

  async function takeQos0 (topic: string, payload: Buffer, retain: boolean): Promise<void> {
    const cost = payload.length + QOS0_MESSAGE_OVERHEAD
    const settled = pipeline.handle({ topic, payload, receivedAt: clock(), retain }).finally(() => {
      finishInFlight()
      aheadBytes -= cost
    })
    // QoS 0 has no acknowledgement to hold back: the broker may read the device's next packet
    // while this one is stored (a storage failure is counted, as for any message), within a bound
    if (aheadBytes + cost <= QOS0_AHEAD_BYTES) {
      aheadBytes += cost
      void settled
      return
    }
    aheadBytes += cost
    if ((await settled) === 'retry') throw unavailable()
  }

  /** QoS 1 messages in arrival order; their PUBACKs leave in this order ([MQTT-4.6.0-2]) as the head settles */
  let unacked: Array<{ messageId: number, settled: boolean }> = []
  /** payload bytes of QoS 0 messages taken in-process and not yet settled */
  let aheadBytes = 0

  function flushAcks (): void {
    let n = 0
    while (n < unacked.length && unacked[n]!.settled) {
      client?.['_sendPacket']({ cmd: 'puback', messageId: unacked[n]!.messageId }, () => {})
      n++
    }
    if (n > 0) unacked = unacked.slice(n)
  }

  /**
   * MQTT.js handles the next packet only after this callback; answering it with
   * PIPELINED lets MQTT.js go on at once without writing its own PUBACK, so many
   * messages are in the pipeline together (and share a commit). The PUBACK is
   * written here once the message has settled, in arrival order.
   */
  function onMessage (packet: IPublishPacket, next: (err?: Error) => void): void {
    if (!accepting) return // not acked: the broker keeps it for the next session
    inFlight++
    const entry = packet.qos > 0 && packet.messageId !== undefined ? { messageId: packet.messageId, settled: false } : undefined
    if (entry !== undefined) unacked.push(entry)
    const stream = client?.stream
    next(PIPELINED)
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    void pipeline.handle({ topic: packet.topic, payload, receivedAt: clock(), retain: packet.retain }).then(outcome => {
      if (outcome === 'retry') {
        // nothing after this message may be acked either: the broker redelivers from the persistent session
        if (stream === client?.stream) { unacked = []; stream?.destroy() }
      } else if (entry !== undefined && stream === client?.stream) {
        entry.settled = true
        flushAcks()
      }
      finishInFlight()
    })
  }
  return {
    get stats () { return pipeline.stats },
    get wildlife () { return pipeline.wildlife },
    get rules () { return pipeline.rules },
    get alerts () { return pipeline.alerts },
    get codecs () { return pipeline.codecs },
    take ({ topic, payload, retain = false, qos = 1 }) {
      if (!accepting) return Promise.reject(unavailable())
      inFlight++
      // QoS 1 (every reading of a lossless gauge): no async frame or closure per message, the shared settleTaken
      if (qos !== 0) return pipeline.handle({ topic, payload, receivedAt: clock(), retain }).then(settleTaken)
      return takeQos0(topic, payload, retain)
    },
    async start () {
      await pipeline.start()
      accepting = true
      await tts.start()
      if (mqttUrl === undefined) {
        log.info('ingest takes messages in-process from the broker')
        return
      }
      client = await connectIngestClient(config, mqttUrl, log)
      client.handleMessage = onMessage
      // messages of a dropped connection are redelivered; their acks must not hold up the next ones
      client.on('close', () => { unacked = [] })
      await client.subscribeAsync([...INGEST_SUBSCRIPTIONS], { qos: 1 })
      log.info({ url: redactUrl(mqttUrl), topics: INGEST_SUBSCRIPTIONS }, 'ingest subscribed')
    },
    async close () {
      closing ??= (async () => {
        accepting = false
        await tts.close()
        if (inFlight > 0) await new Promise<void>(resolve => { drained = resolve })
        await endMqtt(client)
        await pipeline.close()
        log.info({ stats: pipeline.stats }, 'ingest closed')
      })()
      return await closing
    }
  }
}

/** ingest's own MQTT session: persistent (clean: false), so the broker keeps what is not yet acked */
async function connectIngestClient (config: IngestDeps['config'], url: string, logger: Logger): Promise<MqttClient> {
  return await connectMqtt({
    url,
    clientId: config.ingest.clientId,
    username: config.ingest.username,
    password: config.ingest.password,
    clean: false,
    logger
  })
}

/** memory ingest lets QoS 0 messages taken ahead of their commit hold before the broker waits again */
const QOS0_AHEAD_BYTES = 16 * 1024 * 1024
/**
 * What one message in flight holds besides its payload (its pipeline promises, the reading, the
 * outbox row): an 11-byte frame counted as 11 bytes let 1.5 million in flight, and a flood then spent
 * its CPU on the garbage collector instead of on storing.
 */
const QOS0_MESSAGE_OVERHEAD = 1024

/** Tells MQTT.js "go on, the PUBACK is ours to send" (its handler skips the ack on an error). */
const PIPELINED = new Error('mimamori: acknowledged after the durable write')

/** The broker turns this into "no PUBACK, connection closed": the device sends the message again. */
function unavailable (): MimamoriError {
  return new MimamoriError('MIMAMORI_ERR_STORE', 'ingest cannot settle this message now; it must be sent again')
}
