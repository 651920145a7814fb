import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { classifyLevel } from '../core/levels.js'
import type { Suggestion } from '../core/official-criteria.js'
import { openDatabase } from '../store/db.js'
import { createOfficialRepository, type OfficialRepository } from '../store/official.js'
import type { Store } from '../store/store.js'
import { createPoller, type Poller } from './poller.js'
import { createReceiver, type Receiver } from './receiver.js'
import { createReferenceGauges, type ReferenceGauges } from './reference.js'
import { replayFolder } from './replay.js'
import { createSuggestionTracker, type SuggestionTracker } from './suggestions.js'

export interface Official {
  start(): Promise<void>
  close(): Promise<void>
  readonly receiver: Receiver
  readonly repo: OfficialRepository
  readonly suggestions: SuggestionTracker
  readonly poller: Poller | undefined
  readonly references: ReferenceGauges
  /** reads a folder of telegrams in name order (drills, tests); returns what each did */
  replay(dir: string): ReturnType<typeof replayFolder>
  onSuggestions(fn: (changed: Suggestion[]) => void): () => void
}

export interface OfficialDeps {
  config: Config
  logger: Logger
  bus: EventBus
  /** the SQLite file (the shared embedded database) or ':memory:' */
  file: string
  /** seeds gauge bands from the latest stored readings at start */
  store?: Store | undefined
  clock?: () => number
}

const EVALUATE_EVERY_MS = 30_000

/**
 * JMA 防災情報XML beside our gauges: intake (PULL poller or replay folder) → raw telegrams and per-area
 * state in SQLite → 判断補助 suggestions per configured area, re-evaluated on every telegram, every gauge
 * band change (bus statusChange) and every 30 s (criteria edited by an admin in another process).
 */
export function createOfficial ({ config, logger, bus, file, store, clock = Date.now }: OfficialDeps): Official {
  const cfg = config.official
  const log = logger.child({ component: 'official' })
  const handle = openDatabase(file, { what: 'official information' })
  const repo = createOfficialRepository(handle.db)
  const codes = new Set(cfg.areas.flatMap(a => [a.code, ...a.warningCodes, ...a.floodAreas]))
  const receiver = createReceiver({
    repo, logger, statuses: cfg.statuses, maxBytes: cfg.maxBytes, clock,
    relevant: codes.size === 0 ? undefined : (_product, code) => codes.has(code)
  })
  const suggestions = createSuggestionTracker({
    areas: cfg.areas, repo, official: receiver.state, clock,
    stations: [...config.stations, ...cfg.referenceStations].map(s => ({ id: s.id, name: s.name, river: s.river }))
  })
  const references = createReferenceGauges({ stations: cfg.referenceStations, tracker: suggestions, logger, maxBytes: cfg.maxBytes })
  const poller = cfg.feeds.length === 0 || cfg.replayDir !== ''
    ? undefined
    : createPoller({ feeds: cfg.feeds, repo, receiver, logger, dataTypes: cfg.dataTypes, officeCodes: cfg.officeCodes, maxBytes: cfg.maxBytes, backoffMaxS: cfg.backoffMaxS, clock })
  const listeners = new Set<(changed: Suggestion[]) => void>()
  const evaluate = (): void => {
    const changed = suggestions.evaluate()
    if (changed.length === 0) return
    for (const s of changed) log.info({ area: s.areaCode, level: s.level, reasons: s.reasons.length }, 'suggested 警戒レベル changed')
    for (const fn of listeners) {
      try { fn(changed) } catch (err) { log.error({ err }, 'suggestion listener failed') }
    }
  }
  const busKey = {}
  let timer: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined
  receiver.onChange(() => { evaluate() })

  return {
    receiver,
    repo,
    suggestions,
    poller,
    references,
    replay: dir => {
      const out = replayFolder(dir, receiver, { maxBytes: cfg.maxBytes })
      evaluate()
      return out
    },
    onSuggestions (fn) { listeners.add(fn); return () => { listeners.delete(fn) } },
    async start () {
      if (store !== undefined) {
        const latest = await store.latestReadings()
        for (const s of config.stations) {
          const r = latest.get(s.id)
          if (r !== undefined && Number.isFinite(r.level)) suggestions.gaugeBand({ stationId: s.id, band: classifyLevel(r.level, s.thresholds), time: r.time, level: r.level })
        }
      }
      bus.on('statusChange', busKey, e => {
        suggestions.gaugeBand({ stationId: e.stationId, band: e.to, time: e.time, level: e.level })
        evaluate()
      })
      await references.refresh()
      references.start()
      if (cfg.replayDir !== '') this.replay(cfg.replayDir)
      poller?.start()
      evaluate()
      timer = setInterval(evaluate, EVALUATE_EVERY_MS)
      timer.unref()
    },
    async close () {
      closing ??= (async () => {
        bus.removeListeners(busKey)
        if (timer !== undefined) clearInterval(timer)
        references.close()
        await poller?.close()
        handle.release()
      })()
      return await closing
    }
  }
}
