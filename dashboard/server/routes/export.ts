import { PassThrough } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { prepareExport } from '../../../store/export/run.js'
import type { Store } from '../../../store/store.js'
import { READERS } from '../auth/access.js'
import { ErrorBody, ExportQuery } from '../../contract/schemas.js'
import { timeRange } from './time-range.js'

/** a researcher's year plus a margin; longer spans go through `mimamori export` in pieces */
const MAX_SPAN_DAYS = 400

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' } as const

/**
 * Researcher export (readings, detections, sightings, alerts) as CSV or Parquet,
 * streamed: rows are read a page at a time and the socket's back-pressure paces
 * the reader. `x-mimamori-rows-estimate` lets the page draw a progress bar.
 */
export const exportRoutes: FastifyPluginAsyncTypebox<{ store: Store, file: string }> = async (app, { store, file }) => {
  // a client that stops reading without closing its socket would keep an export (and app.close()) waiting
  // on back-pressure; shutdown cuts the exports still running
  const running = new Set<{ destroy(): void }>()
  app.addHook('preClose', async () => { for (const r of running) r.destroy() })
  app.get('/api/export', {
    config: { access: READERS },
    schema: {
      description: 'Streams one dataset for a set of stations/cameras and a time range. CSV: UTF-8 with BOM, ISO 8601 times at +09:00. Parquet: one row group per 20 000 rows, times as TIMESTAMP_MILLIS (UTC).',
      querystring: ExportQuery,
      response: { 200: Type.String({ description: 'the file (text/csv or application/vnd.apache.parquet), streamed' }), 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request, reply) => {
    const q = request.query
    const { from, to } = timeRange(q, MAX_SPAN_DAYS)
    const ids = q.ids === undefined ? [] : [...new Set(q.ids.split(','))]
    const run = await prepareExport({ dataset: q.dataset, format: q.format, ids, from, to }, { store, file })
    const body = new PassThrough({ highWaterMark: 1 << 20 })
    // the file is named by its JST days, as the form and the CSV times are
    const day = (ms: number): string => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '')
    const stamp = `${day(from)}-${day(to)}`
    void reply
      .header('content-type', CONTENT_TYPES[q.format])
      .header('content-disposition', `attachment; filename="mimamori-${q.dataset}-${stamp}.${q.format}"`)
      .header('x-mimamori-rows-estimate', String(run.estimate))
      .header('cache-control', 'no-store')
    const started = Date.now()
    // the client went away: stop reading (the writer's next put() fails, the cursor closes) instead of
    // waiting on back-pressure forever and holding the server's close
    const socket = reply.raw
    running.add(socket)
    socket.once('close', () => {
      running.delete(socket)
      if (!socket.writableFinished) body.destroy()
    })
    run.pipe(body).then(rows => {
      request.log.info({ dataset: q.dataset, format: q.format, rows, ms: Date.now() - started }, 'export done')
      body.end()
    }, (err: unknown) => {
      // headers are gone: cutting the stream is the only way to tell the client the file is incomplete
      request.log.warn({ err, dataset: q.dataset }, 'export failed mid-stream')
      body.destroy(err as Error)
    })
    // a stream skips the response serializer; the 200 schema above only documents the route
    return await reply.send(body as unknown as string)
  })
}
