import type { Writable } from 'node:stream'
import { exportSource, type ExportRequest, type SourceDeps } from './datasets.js'
import { csvWriter, parquetWriter } from './format.js'

export type ExportFormat = 'csv' | 'parquet'

export interface ExportProgress { rows: number, estimate: number }

export interface ExportRun {
  /** rows expected (for a progress bar; may be a little off on the time-series backend) */
  estimate: number
  /** streams every batch to `sink`; resolves with the rows written */
  pipe(sink: Writable, onProgress?: (p: ExportProgress) => void): Promise<number>
}

/**
 * Prepares an export (validates ids, counts rows) so an HTTP route can refuse
 * before it sends headers, then streams it batch by batch.
 */
export async function prepareExport (req: ExportRequest & { format: ExportFormat, offsetMin?: number }, deps: SourceDeps): Promise<ExportRun> {
  const source = exportSource(req, deps)
  const estimate = await source.estimate()
  return {
    estimate,
    async pipe (sink, onProgress) {
      const out = req.format === 'csv' ? csvWriter(source.columns, sink, req.offsetMin) : parquetWriter(source.columns, sink)
      let rows = 0
      for await (const batch of source.batches()) {
        await out.rows(batch)
        rows += batch.length
        onProgress?.({ rows, estimate: Math.max(estimate, rows) })
      }
      await out.end()
      return rows
    }
  }
}
