import { vendorProfileOf } from '../core/types.js'
import { resolve } from 'node:path'
import { toMimamoriError, type ErrorCode } from '../core/errors.js'
import { classifyLevel } from '../core/levels.js'
import type { Alerts } from '../alerts/index.js'
import type { HandlerContext } from './handlers/context.js'
import { createRiverRules, type RiverRules, type RiverRulesDeps } from './rules/index.js'
import { createRouter, type IngestMessage } from './router.js'
import { countRejection, createStats, type IngestStats } from './stats.js'
import { createWildlife, type Wildlife } from './wildlife/index.js'
import { createDeviceCodecs, type DeviceCodecs } from '../codecs/vendor/registry.js'
import { createUplinkDedupe } from '../store/uplink-dedupe.js'

/** `settled`: stored, duplicate or refused for good (ack it); `retry`: storage trouble (leave it for redelivery). */
export type IngestOutcome = 'settled' | 'retry'

export interface IngestPipeline {
  start(): Promise<void>
  /** rules and wildlife stop (alerts are the composition root's to close); in-flight messages are the intake's to drain first */
  close(): Promise<void>
  /** decode → QC → store → bus, counted; never throws */
  handle(msg: IngestMessage): Promise<IngestOutcome>
  readonly stats: Readonly<IngestStats>
  readonly wildlife: Wildlife
  readonly alerts: Alerts
  /** undefined when river.rules.enabled is off */
  readonly rules: RiverRules | undefined
  /** vendor codec plug-ins and device profiles, loaded at start */
  readonly codecs: DeviceCodecs
}

/** the pipeline needs what its river rules need, and hands it on */
export type IngestPipelineDeps = RiverRulesDeps

/** Not the device's fault: the message must come again, not be acknowledged. */
const RETRY: ReadonlySet<ErrorCode> = new Set(['MIMAMORI_ERR_STORE', 'MIMAMORI_ERR_CLOSED'])

/**
 * Everything between "a message arrived" and "it is settled", built the same
 * way for the all-in-one, `mimamori ingest` and a cluster worker: one router,
 * QC and bands (handler context), river rules and wildlife sightings feeding
 * one alert lifecycle. Intakes (MQTT subscription, the broker's in-process
 * feed, the Redis stream) only decide when to acknowledge.
 */
export function createIngestPipeline ({ config, logger, bus, store, alerts, clock }: IngestPipelineDeps): IngestPipeline {
  const log = logger.child({ component: 'ingest' })
  const stats = createStats()
  const wildlife = createWildlife({ config, logger, bus, store, alerts })
  const rules = config.river.rules.enabled ? createRiverRules({ config, logger, bus, store, alerts, clock }) : undefined
  const codecs = createDeviceCodecs({ config, logger })
  const uplinks = createUplinkDedupe({ file: resolve(config.dataDir, config.store.file), retainMs: config.lorawan.dedupeDays * 86_400_000 })
  const ctx: HandlerContext = { config, logger: log, bus, store, stats, lastStatus: new Map(), lastTime: new Map(), wildlife, codecs, uplinks }
  const route = createRouter(ctx)
  let closing: Promise<void> | undefined

  return {
    stats,
    wildlife,
    alerts,
    rules,
    codecs,
    async start () {
      // codecs prove their examples at load (a refused one is logged, never fatal); a vendor uplink
      // waits for that. Only when a station needs them does start wait too (about a second of WASM work).
      const needed = store.listStations().some(s => vendorProfileOf(s) !== undefined) || config.lorawan.codecFolders.length > 0
      if (needed) await codecs.start()
      else void codecs.start()
      // Seed the band cache from storage so a restart does not re-announce every station.
      for (const [stationId, r] of await store.latestReadings()) {
        const s = store.getStation(stationId)
        if (s === undefined) continue
        ctx.lastStatus.set(stationId, classifyLevel(r.level, s.thresholds))
        ctx.lastTime.set(stationId, r.time)
      }
      // rules listen before the first message, so no reading slips past them
      await rules?.start()
      await wildlife.start()
    },
    async handle (msg) {
      stats.received++
      try {
        await route(msg)
        return 'settled'
      } catch (err) {
        const e = toMimamoriError(err)
        countRejection(stats, e.code)
        if (RETRY.has(e.code)) {
          log.error({ err: e.message, topic: msg.topic }, 'store failed; message left for redelivery')
          return 'retry'
        }
        bus.emit('rejected', { code: e.code, source: msg.topic, message: e.message, time: Date.now() })
        log.warn({ code: e.code, topic: msg.topic, err: e.message }, 'message rejected')
        return 'settled'
      }
    },
    async close () {
      closing ??= (async () => {
        await rules?.close()
        await wildlife.close()
        await codecs.close()
        uplinks.close()
      })()
      return await closing
    }
  }
}
