/**
 * Obstruction episodes of a distance sensor (something under it: a parked car,
 * debris, a bird): the level alternates between the true (dry) distance and a
 * fixed short echo. Ingest QC fails the echo readings with test `obstruction`
 * (or `dropout` for the opposite direction) and keeps the genuine readings in
 * between; an episode is the run of such failed readings with no gap longer
 * than `quietMs` between them, from the first echo to the last. Derived from the
 * stored QC verdicts, so the station page, the API and the export tell the same
 * story after any restart.
 */
export interface EpisodeReading {
  time: number
  level: number
  qc?: { flag: number, tests: Record<string, number> } | undefined
}

export interface ObstructionEpisode {
  kind: 'obstruction' | 'dropout'
  /** data time of the first and last echo (ms) */
  start: number
  end: number
  /** echo readings failed */
  echoes: number
  /** genuine readings kept between start and end */
  kept: number
  /** median level of the echoes, m */
  echoLevel: number
  /** still going: the last reading looked at was inside the quiet time */
  open: boolean
}

export const DEFAULT_EPISODE_QUIET_MS = 60 * 60_000

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1] ?? Number.NaN
}

/** Episodes in `readings` (any order); `quietMs` as river.qc.obstructionQuietMinutes. */
export function obstructionEpisodes (readings: readonly EpisodeReading[], quietMs = DEFAULT_EPISODE_QUIET_MS): ObstructionEpisode[] {
  const sorted = [...readings].sort((a, b) => a.time - b.time)
  const out: ObstructionEpisode[] = []
  let cur: (ObstructionEpisode & { levels: number[] }) | undefined
  /** genuine readings since the last echo: "between" only once another echo follows */
  let since = 0
  const close = (): void => {
    if (cur === undefined) return
    const { levels, ...ep } = cur
    out.push({ ...ep, echoLevel: Math.round(median(levels) * 1000) / 1000 })
    cur = undefined
    since = 0
  }
  for (const r of sorted) {
    const tests = r.qc?.tests ?? {}
    const kind = tests.obstruction === 4 ? 'obstruction' : tests.dropout === 4 ? 'dropout' : undefined
    if (cur !== undefined && r.time - cur.end > quietMs) close()
    if (kind === undefined) {
      if (cur !== undefined && Number.isFinite(r.level) && r.qc?.flag !== 4) since++
      continue
    }
    if (cur !== undefined && cur.kind !== kind) close()
    if (cur === undefined) cur = { kind, start: r.time, end: r.time, echoes: 0, kept: 0, echoLevel: Number.NaN, open: false, levels: [] }
    else cur.kept += since
    since = 0
    cur.end = r.time
    cur.echoes++
    cur.levels.push(r.level)
  }
  const last = sorted.at(-1)
  if (cur !== undefined) {
    cur.open = last !== undefined && last.time - cur.end <= quietMs
    close()
  }
  return out
}
