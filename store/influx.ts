import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Reading } from '../core/types.js'
import { createDrainer, type Drainer, type DrainStats, type OutboxSink } from './outbox/drain.js'
import { openOutbox, type Outbox, type OutboxCounts } from './outbox/outbox.js'
import { detectionPoint, rowToReading } from './influx-lines.js'
import { createInfluxSink } from './influx-sink.js'
import { createInfluxQuery, quoteIdent, quoteString } from './influx-query.js'
import { bucketReadings, mergeBuckets } from './series.js'
import type { ReadingQuery, SeriesBucket, Store } from './store.js'

export type InfluxConfig = Config['store']['influx']

export interface InfluxStoreOptions {
  /** app state (stations, cameras, images) and the outbox table live here */
  embedded: Store
  /** the embedded database file; the outbox opens its own connection to it */
  file: string
  influx: InfluxConfig
  logger: Logger
  /** run the drainer in this process (ingest); a dashboard-only process reads but never drains */
  drain: boolean
}

export interface InfluxStore extends Store {
  /** resolves when every committed reading has reached the time-series database */
  flushed(timeoutMs: number): Promise<void>
  outboxStats(): OutboxCounts & { drain: Readonly<DrainStats> | null }
}

/**
 * Time series in InfluxDB (or anything speaking its v2 write API and InfluxQL),
 * app state in the embedded store. Writes go to the durable outbox first, so
 * the MQTT ack never waits on the network and an outage loses nothing.
 */
export function createInfluxStore (o: InfluxStoreOptions): InfluxStore {
  const cfg = o.influx
  const log = o.logger.child({ component: 'store', backend: 'influxdb' })
  const outbox = openOutbox(o.file)
  const sink = createInfluxSink(cfg)
  const drainer = o.drain ? openDrainer(cfg, outbox, sink, o.logger) : undefined
  drainer?.start()
  const { influxql, seriesFromInflux, queryBase, database } = createInfluxQuery(cfg)
  log.info({ url: cfg.url, queryUrl: queryBase, bucket: cfg.bucket, database, drain: o.drain, gzip: sink.gzip }, 'influxdb store open')
  let closing: Promise<void> | undefined
  let readFailing = false
  const kickIfInserted = (result: 'inserted' | 'duplicate'): 'inserted' | 'duplicate' => { if (result === 'inserted') drainer?.kick(true); return result }
  const enqueueKick = (r: Reading): Promise<'inserted' | 'duplicate'> => outbox.enqueue(r).then(kickIfInserted)
  const keepSentMs = cfg.keepSentDays * 86_400_000

  const e = o.embedded
  const store: InfluxStore = {
    backend: 'influxdb',
    fleet: e.fleet,
    saveStations: list => { e.saveStations(list) },
    listStations: () => e.listStations(),
    getStation: id => e.getStation(id),
    stationByDevice: id => e.stationByDevice(id),
    saveCameras: list => { e.saveCameras(list) },
    listCameras: () => e.listCameras(),
    getCamera: id => e.getCamera(id),
    writeCameraImage: async img => await e.writeCameraImage(img),
    latestCameraImages: async () => await e.latestCameraImages(),

    writeReading (r) {
      if (closing !== undefined) return Promise.reject(new MimamoriError('MIMAMORI_ERR_CLOSED', 'store is closing'))
      // no async wrapper: one promise per reading (the group commit's) when pace() does not hold it back
      const paced = drainer?.pace()
      return paced === undefined ? enqueueKick(r) : paced.then(() => enqueueKick(r))
    },

    async writeDetection (d) {
      if (closing !== undefined) throw new MimamoriError('MIMAMORI_ERR_CLOSED', 'store is closing')
      // same outbox as the readings (committed before this resolves); the sink tells the rows apart by key
      if ((await outbox.enqueue(detectionPoint(d) as unknown as Reading)) === 'inserted') drainer?.kick()
    },

    async updateReadingQc (stationId, time, qc) {
      if (outbox.revise(stationId, time, r => ({ ...r, qc }))) drainer?.kick()
      else log.warn({ station: stationId, time }, 'QC revision for a reading no longer in the outbox ledger; not applied to InfluxDB')
    },

    async readings (stationId, q: ReadingQuery) {
      // The ledger holds every row this deployment wrote with a time inside keepSentDays, whatever its
      // state: ingest seeding its QC state (one read per station after a start) needs no network round
      // trip for such a window (with 1 000 stations, 1 000 InfluxQL requests in the first seconds).
      if (q.recent === true && keepSentMs > 0 && q.from >= Date.now() - keepSentMs) return ordered(outbox.inRange(stationId, q.from, q.to, false), q)
      const local = outbox.inRange(stationId, q.from, q.to, true)
      let remote: Reading[]
      try {
        const sql = `SELECT * FROM ${quoteIdent(cfg.measurement)} WHERE "station" = ${quoteString(stationId)} AND time >= ${Math.floor(q.from)}ms AND time <= ${Math.floor(q.to)}ms ORDER BY time ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${q.limit}`
        const rows = await influxql(sql)
        // VictoriaMetrics answers /query with rows that carry no time: not InfluxQL, so the ledger answers
        if (rows.some(r => typeof r.time !== 'number')) throw new MimamoriError('MIMAMORI_ERR_TSDB', 'the query endpoint gave rows without a time (not InfluxQL)')
        remote = rows.map(rowToReading)
        readFailing = false
      } catch (err) {
        // The database is down: the ledger still holds recent rows (keepSentDays), so answer from it.
        if (!readFailing) log.warn({ err: (err as Error).message }, 'InfluxQL read failed; answering from the outbox ledger until it works again')
        readFailing = true
        remote = outbox.inRange(stationId, q.from, q.to, false)
      }
      const byTime = new Map<number, Reading>()
      for (const r of remote) byTime.set(r.time, r)
      for (const r of local) byTime.set(r.time, r)
      return ordered([...byTime.values()], q)
    },

    async readingSeries (stationId, q) {
      // undelivered rows are not in the database yet: fold them into the grid
      const pending = bucketReadings(outbox.inRange(stationId, q.from, q.to, true), q)
      let remote: SeriesBucket[]
      try {
        remote = await seriesFromInflux(stationId, q)
        readFailing = false
      } catch (err) {
        if (!readFailing) log.warn({ err: (err as Error).message }, 'InfluxQL read failed; answering from the outbox ledger until it works again')
        readFailing = true
        return bucketReadings(outbox.inRange(stationId, q.from, q.to, false), q)
      }
      return pending.length === 0 ? remote : mergeBuckets(remote, pending, q.bucketMs)
    },

    async latestReadings () {
      // Each station's newest row is never pruned from the ledger, so this needs no network.
      const out = new Map<string, Reading>()
      for (const [id, r] of outbox.latest()) if (e.getStation(id) !== undefined) out.set(id, r)
      return out
    },

    async flushed (timeoutMs) {
      if (drainer === undefined) throw new MimamoriError('MIMAMORI_ERR_INTERNAL', 'this process does not drain the outbox')
      await drainer.idle(timeoutMs)
    },

    outboxStats: () => ({ ...outbox.counts(), drain: drainer?.stats ?? null }),

    async close () {
      closing ??= (async () => {
        if (drainer !== undefined) {
          if (cfg.closeFlushMs > 0 && drainer.stats.consecutiveFailures === 0) {
            await drainer.idle(cfg.closeFlushMs).catch(() => { log.warn('outbox not empty at shutdown; the rest is sent on next start') })
          }
          await drainer.stop()
        }
        await sink.close()
        outbox.close()
        await e.close()
        log.info('influxdb store closed')
      })()
      await closing
    }
  }
  return store
}

/** readings in the query's order, at most its limit */
function ordered (rows: Reading[], q: ReadingQuery): Reading[] {
  const sign = q.order === 'asc' ? 1 : -1
  return rows.sort((a, b) => sign * (a.time - b.time)).slice(0, q.limit)
}

/** the outbox's drainer with the influx settings (only the process that ingests drains) */
function openDrainer (cfg: InfluxConfig, outbox: Outbox, sink: OutboxSink, logger: Logger): Drainer {
  return createDrainer({
    outbox,
    sink,
    logger,
    batchSize: cfg.batchSize,
    inFlight: cfg.inFlight,
    flushIntervalMs: cfg.flushIntervalMs,
    paceTargetMs: cfg.paceTargetMs,
    retryMinMs: cfg.retryMinMs,
    retryMaxMs: cfg.retryMaxMs,
    keepSentMs: cfg.keepSentDays * 86_400_000
  })
}

/** `/healthz` figures: pending/delivered/rejected rows and drain state; empty for other backends. */
export function outboxHealth (store: Store | undefined): { outbox?: ReturnType<InfluxStore['outboxStats']> } {
  if (store === undefined || !('outboxStats' in store)) return {}
  try {
    return { outbox: (store as InfluxStore).outboxStats() }
  } catch {
    return {}
  }
}
