import { createWriteStream, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { finished } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import { EXPORT_DATASETS, type ExportDataset } from '../store/export/datasets.js'
import { prepareExport, type ExportFormat } from '../store/export/run.js'
import { resolveConfig } from './config-source.js'

export const EXPORT_USAGE = `mimamori export — readings, detections, sightings or alerts to CSV or Parquet

Usage:
  mimamori export --dataset readings|detections|sightings|alerts --from 2026-07-01 --to 2026-07-31
      [--ids ID,ID…] [--format csv|parquet] [--out FILE] [--force] [--quiet] [--config file.json]

  --from/--to  a day (JST, the whole day) or an ISO 8601 instant; both inclusive
  --ids        station ids (readings, alerts) or camera ids (detections, sightings); default: all
  --format     csv (UTF-8 with BOM, times ISO 8601 at +09:00; default) or parquet (times UTC)
  --out        default mimamori-<dataset>-<from>.<format>; "-" writes to stdout
  Reads the same store as the dashboard (embedded SQLite or InfluxDB), a page at a time, so a
  year of 10-minute data for 100 stations streams without being held in memory.
  The same export over HTTP: GET /api/export (see /docs).`

/** a bare day is a JST day: its start, or its last millisecond for `to` */
function parseInstant (v: string, name: string, end: boolean): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(v)
  const ms = day ? Date.parse(`${v}T00:00:00+09:00`) + (end ? 86_400_000 - 1 : 0) : Date.parse(v)
  if (!Number.isFinite(ms)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${name} "${v}" is neither a day (2026-07-01) nor an ISO 8601 time`)
  return ms
}

/** `mimamori export …`; resolves to the exit code */
export async function exportCommand (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, ids: { type: 'string' },
      format: { type: 'string', default: 'csv' }, out: { type: 'string' }, force: { type: 'boolean' },
      quiet: { type: 'boolean' }, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    process.stdout.write(EXPORT_USAGE + '\n')
    return 0
  }
  const dataset = values.dataset as ExportDataset
  if (!EXPORT_DATASETS.includes(dataset)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--dataset must be one of ${EXPORT_DATASETS.join(', ')}\n\n${EXPORT_USAGE}`)
  if (values.format !== 'csv' && values.format !== 'parquet') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--format must be csv or parquet')
  const format: ExportFormat = values.format
  if (values.from === undefined || values.to === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--from and --to are required\n\n${EXPORT_USAGE}`)
  const from = parseInstant(values.from, 'from', false)
  const to = parseInstant(values.to, 'to', true)
  if (from > to) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--from must not be after --to')
  const ids = values.ids === undefined ? [] : values.ids.split(',').map(s => s.trim()).filter(s => s !== '')

  const { config } = resolveConfig(values.config, process.env)
  const out = values.out ?? `mimamori-${dataset}-${new Date(from + 9 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '')}.${format}`
  const toStdout = out === '-'
  if (!toStdout && existsSync(out) && values.force !== true) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${out} exists (--force overwrites it)`)

  // the store modules only, not the all-in-one wiring (app.ts loads the broker, vision and sharp)
  const file = resolve(config.dataDir, config.store.file)
  const logger = silentLogger()
  const { createEmbeddedStore } = await import('../store/embedded.js')
  const embedded = createEmbeddedStore({ file, logger })
  const store = config.store.backend === 'influxdb'
    ? (await import('../store/influx.js')).createInfluxStore({ embedded, file, influx: config.store.influx, logger, drain: false })
    : embedded
  try {
    const run = await prepareExport({ dataset, ids, from, to, format }, { store, file })
    const sink = toStdout ? process.stdout : createWriteStream(out)
    const showBar = values.quiet !== true && process.stderr.isTTY === true && !toStdout
    const bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true
    }, cliProgress.Presets.shades_classic)
    if (showBar) bar.start(Math.max(1, run.estimate), 0, { rate: 0 })
    const started = Date.now()
    let lastLine = 0
    const rows = await run.pipe(sink, p => {
      const rate = Math.round(p.rows / Math.max(0.001, (Date.now() - started) / 1000))
      if (showBar) {
        bar.setTotal(Math.max(1, p.estimate))
        bar.update(p.rows, { rate })
      } else if (values.quiet !== true && Date.now() - lastLine > 2000) {
        // no terminal (CI, a pipe): a progress line every 2 s instead of a redrawn bar
        lastLine = Date.now()
        process.stderr.write(`export: ${p.rows}/${p.estimate} rows, ${rate} rows/s\n`)
      }
    })
    if (showBar) bar.stop()
    if (!toStdout) {
      sink.end()
      await finished(sink)
    }
    const seconds = (Date.now() - started) / 1000
    if (values.quiet !== true) process.stderr.write(`export: ${rows} rows → ${toStdout ? 'stdout' : out} in ${seconds.toFixed(1)} s (${Math.round(rows / Math.max(0.001, seconds))} rows/s)\n`)
    return 0
  } finally {
    await store.close()
  }
}
