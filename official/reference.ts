import { readFileSync } from 'node:fs'
import type { ReferenceStation } from '../core/config/official-schema.js'
import type { Logger } from '../core/logger.js'
import { classifyLevel } from '../core/levels.js'
import type { LevelStatus } from '../core/types.js'
import { parseSeriesCsv, type Point } from './accuracy/series.js'
import { readLimited } from './http-read.js'
import type { SuggestionTracker } from './suggestions.js'

export interface ReferenceView { station: ReferenceStation, latest: Point | null, band: LevelStatus | null }

export interface ReferenceGauges {
  /** reads every station's file or URL once and feeds new band changes to the tracker */
  refresh(): Promise<number>
  views(): ReferenceView[]
  start(): void
  close(): void
}

/**
 * MLIT gauges as read-only reference stations: their series from a file import or a configured URL,
 * classified against their published thresholds; band changes count in 判断補助 as reference gauges.
 * Nothing here writes to our readings: a reference station is never one of ours.
 */
export function createReferenceGauges ({ stations, tracker, logger, maxBytes }: { stations: ReferenceStation[], tracker: SuggestionTracker, logger: Logger, maxBytes: number }): ReferenceGauges {
  const log = logger.child({ component: 'official-reference' })
  const state = new Map<string, { lastTime: number, band: LevelStatus | null, latest: Point | null }>()
  const timers: NodeJS.Timeout[] = []

  async function load (s: ReferenceStation): Promise<Point[]> {
    if (s.url !== '') {
      const res = await fetch(s.url, { signal: AbortSignal.timeout(30_000), redirect: 'error' })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      return parseSeriesCsv(Buffer.from(await readLimited(res, maxBytes)).toString('utf8'), s.url)
    }
    return s.file === '' ? [] : parseSeriesCsv(readFileSync(s.file, 'utf8'), s.file)
  }

  async function refreshOne (s: ReferenceStation): Promise<number> {
    const st = state.get(s.id) ?? { lastTime: -Infinity, band: null, latest: null }
    state.set(s.id, st)
    let changes = 0
    for (const p of await load(s)) {
      if (p.time <= st.lastTime) continue
      st.lastTime = p.time
      st.latest = p
      const band = classifyLevel(p.level, s.thresholds)
      if (band !== st.band) {
        st.band = band
        tracker.gaugeBand({ stationId: s.id, band, time: p.time, level: p.level }, true)
        changes++
      }
    }
    return changes
  }

  return {
    async refresh () {
      let n = 0
      for (const s of stations) {
        try { n += await refreshOne(s) } catch (err) { log.warn({ station: s.id, err: (err as Error).message }, 'reference series could not be read') }
      }
      return n
    },
    views: () => stations.map(s => ({ station: s, latest: state.get(s.id)?.latest ?? null, band: state.get(s.id)?.band ?? null })),
    start () {
      for (const s of stations) {
        const t = setInterval(() => { void refreshOne(s).catch((err: unknown) => { log.warn({ station: s.id, err: (err as Error).message }, 'reference series could not be read') }) }, s.refreshS * 1000)
        t.unref()
        timers.push(t)
      }
    },
    close () { for (const t of timers) clearInterval(t) }
  }
}
