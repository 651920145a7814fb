import type { QcFlag, ReadingQc } from '../types.js'

/** QARTOD flag values (ingest/qc applies them; the dashboard and alerts read them). */
export const QC_PASS: QcFlag = 1
export const QC_SUSPECT: QcFlag = 3
export const QC_FAIL: QcFlag = 4
export const QC_MISSING: QcFlag = 9

/**
 * Tests about the circumstances of a reading, not its value. A reading that is
 * suspect only for these may confirm a suspect predecessor (ingest/rules).
 */
export const CONTEXT_TESTS: ReadonlySet<string> = new Set(['lowBattery', 'late', 'outOfOrder'])

/** True when every non-passing test is about context, not the value itself. */
export function valueTrusted (qc: ReadingQc | undefined): boolean {
  if (qc === undefined) return true
  if (qc.flag === QC_FAIL || qc.flag === QC_MISSING) return false
  return Object.keys(qc.tests).every(t => CONTEXT_TESTS.has(t))
}

