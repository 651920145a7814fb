/**
 * Whether frames are analysed here, and why not. Ingest writes it to
 * dataDir/wildlife-status.json at start, where a dashboard in another process
 * (sharing the data dir, as it does for images) reads it.
 */
export interface WildlifeStatus {
  detection: boolean
  reason: string | null
  model: string | null
  /** 'built-in' or the adapter module */
  adapter: string
  since: string
}

export const STATUS_FILE = 'wildlife-status.json'
