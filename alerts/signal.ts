import type { AlertSeverity } from '../core/types.js'

/** Identifies the one open alert a rule may have for a subject. */
export interface AlertRef {
  kind: string
  subjectId: string
  rule: string
  drill?: boolean | undefined
}

export interface AlertSignal extends AlertRef {
  severity: AlertSeverity
  title: string
  message?: string | undefined
  details?: Record<string, unknown> | undefined
  /** data time of the observation (ms); default: the clock */
  time?: number | undefined
  /**
   * the observation was received long after it was made (a back-fill, a replay of old
   * records, a gauge's backlog): the alert is kept as `details.historical`, and the
   * notifier stays quiet about it unless `notify.historical.send`. A later signal that is
   * not historical makes it current and announces it then (a flood still going on).
   */
  historical?: boolean | undefined
}
