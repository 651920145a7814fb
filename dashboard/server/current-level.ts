import { valueTrusted } from '../../core/river/qc-flags.js'
import type { Reading } from '../../core/types.js'
import type { Store } from '../../store/store.js'

const DAY_MS = 86_400_000
/** readings before the latest that decide the band and the confirmed level (a suspect one waits for the next) */
export const CURRENT_LOOKBACK = 20

/**
 * What staff read as a station's current level: the newest reading whose value QC
 * trusts (the one the band and the alerts follow), and, when a newer reading is
 * still held by QC (suspect, waiting for the next reading to confirm or reject
 * it), that one as `pending` — shown beside the level, never as the level.
 * A failed (flag 4) or missing (9) reading is neither.
 */
export interface CurrentLevel {
  confirmed: Reading | undefined
  pending: Reading | undefined
}

export function trustedLevel (r: Pick<Reading, 'level' | 'qc'>): boolean {
  return Number.isFinite(r.level) && valueTrusted(r.qc)
}

/** `newestFirst`: one station's readings, newest first */
export function currentOf (newestFirst: readonly Reading[]): CurrentLevel {
  const confirmed = newestFirst.find(trustedLevel)
  const newest = newestFirst.find(r => Number.isFinite(r.level))
  const held = newest !== undefined && newest !== confirmed && newest.qc?.flag === 3
  return { confirmed, pending: held ? newest : undefined }
}

/** The last day's readings up to `latest` (newest first) — the band and the current level are read from them. */
export async function recentReadings (store: Store, stationId: string, latest: Reading | undefined): Promise<Reading[]> {
  if (latest === undefined) return []
  return await store.readings(stationId, { from: latest.time - DAY_MS, to: latest.time, limit: CURRENT_LOOKBACK })
}
