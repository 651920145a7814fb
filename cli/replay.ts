import { existsSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import type { Config } from '../core/config/schema.js'
import type { Station } from '../core/types.js'
import { replayHydrograph, type ReplayOptions, type ReplayResult } from '../simulators/replay/index.js'
import type { ReplayReport } from '../simulators/replay/report.js'
import { formatReport } from '../simulators/replay/report-format.js'
import { readLevelTable, type ColumnMap, type LevelTable, type LevelUnit, type TableFormat } from '../simulators/replay/table.js'
import { collectReport, recordRun, writeReportFiles } from './replay-report.js'
import { localBrokerUrl, readSecretFile, resolveConfig } from './config-source.js'
import { defaultSimCredentialsFile, readSimCredentials } from './sim-credentials.js'

export const REPLAY_USAGE = `mimamori sim replay — replay a recorded hydrograph through a running platform

Usage:
  mimamori sim replay --file <time,level_m.csv> --station <stationId>
      [--speed 600|max] [--from ISO] [--to ISO] [--drill] [--resample [--interval 10] | --adaptive]
      [--keep-times] [--mqtt-url URL] [--battery-column C] [--detail]
      [--password SECRET | --password-file FILE | --credentials FILE]
      [--json] [--config file.json] [--report PREFIX] [--no-report]
      [--format csv|wide|rdb] [--time-col C | --date-col C --clock-col C] [--level-col C]
      [--first-hour-col C] [--tz +09:00] [--units m|cm|mm|ft] [--zero M] [--skip-rows N]
      [--missing "欠測,閉局,-"] [--on-bad-row abort|skip]

  --speed      data time per wall time (default 600: a 10-minute step every second);
               "max" sends as fast as the broker acks
  --from/--to  the part of the record to replay (ISO 8601, e.g. 2026-08-12T06:00+09:00)
  default      each recorded row is sent once, at its own time, with its own value: nothing
               is invented, a missing row is a gap (欠測) the platform sees as one
  --resample   DEMO ONLY: interpolate the record and send the gauge model's measurement
               every --interval min (gaps are bridged: those readings were never measured)
  --adaptive   DEMO ONLY (resamples): the gauge's 監視/観測 reporting policy decides what
               is sent (true level measured every minute of data time)
  --battery-column C  the battery voltage column (V) sent in each frame (default 3.6 V)
  --detail     the full report (every alert, every artefact); default a compact summary
  --drill      訓練: the station must be a drill station (stations[].drill: true) so every
               alert it raises is a drill and live stations are never touched
  --keep-times send the original data times (only for records of the last 45 days);
               default: shifted so the replay's last frame is "now"
  --password   the device secret when the broker requires authentication
               (mimamori device add --kind gauge --id <the station's deviceId>);
               default: the station's gauge in --credentials FILE or
               dataDir/sim-credentials.json (mimamori sim --provision), else anonymous
  --json       print the summary (with the report) as JSON
  --report     also write PREFIX.json and PREFIX.svg (hydrograph, thresholds, alerts);
               the report (crossings in the data, alerts raised, detection delay, forecast
               lead, QC flags) is read from the platform's database (dataDir) and printed
  Your own data (docs/replay.md): a column map for other layouts — --format wide for
  MLIT/JMA tables with 24 hourly columns a day, rdb for USGS; C is a header name or a
  0-based index; times without a UTC offset need --tz; --units converts to metres;
  bad rows are reported with their line number, then abort the run (default) or are skipped.

The replay connects as the station's gauge (client id = username = its deviceId),
so do not replay into a station whose real gauge is online. See docs/river.md.`

/** frames carry minutes mod 65536 (45.5 days); keep a margin for the 5-minute clock skew */
const MAX_AGE_MS = 45 * 86_400_000
const MIN = 60_000

export interface ReplaySummary {
  station: string
  file: string
  frames: number
  measurements: number
  reasons?: Record<string, number>
  /** original data times of the first and last replayed point */
  dataFrom: string
  dataTo: string
  dataSpanHours: number
  /** what the frames carried */
  sentFrom: string
  sentTo: string
  shiftMs: number
  wallSeconds: number
  speedRequested: number | 'max'
  speedup: number
  adaptive: boolean
  /** the record was interpolated (--resample / --adaptive); false: its rows only, gaps kept */
  resampled: boolean
  /** dataDir/replay-runs.jsonl: the run and its shift, so API times map back */
  runFile: string
  drill: boolean
  /** how the data file was read */
  input: { format: TableFormat, units: LevelUnit, tz: string, zone: string, columns: { time: string, level: string, battery?: string }, rows: number, badRows: number, missing: number, flagged: number }
  report?: ReplayReport
  reportFiles?: { json: string, svg: string }
}

/** the --format / --*-col / --tz / --units flags as a column map (simulators/replay/table.ts) */
function columnMap (v: Record<string, string | boolean | undefined>): ColumnMap {
  const str = (k: string): string | undefined => typeof v[k] === 'string' ? v[k] : undefined
  const format = str('format')
  if (format !== undefined && !['csv', 'wide', 'rdb'].includes(format)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--format must be csv, wide or rdb (got "${format}")`)
  const units = str('units')
  if (units !== undefined && !['m', 'cm', 'mm', 'ft'].includes(units)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--units must be m, cm, mm or ft (got "${units}")`)
  const onBad = str('on-bad-row')
  if (onBad !== 'abort' && onBad !== 'skip') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--on-bad-row must be abort or skip (got "${String(onBad)}")`)
  const num = (k: string): number | undefined => {
    const x = str(k)
    if (x === undefined) return undefined
    const n = Number(x)
    if (!Number.isFinite(n)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${k} must be a number (got "${x}")`)
    return n
  }
  const map: ColumnMap = { onBadRow: onBad }
  if (format !== undefined) map.format = format as TableFormat
  if (units !== undefined) map.units = units as LevelUnit
  const cols: Array<[keyof ColumnMap, string]> = [['time', 'time-col'], ['date', 'date-col'], ['clock', 'clock-col'], ['level', 'level-col'], ['firstHour', 'first-hour-col'], ['battery', 'battery-column']]
  for (const [key, flag] of cols) { const c = str(flag); if (c !== undefined) (map as Record<string, unknown>)[key] = c }
  const tz = str('tz')
  if (tz !== undefined) map.tz = tz
  const zero = num('zero')
  if (zero !== undefined) map.zeroM = zero
  const skip = num('skip-rows')
  if (skip !== undefined) map.skipRows = skip
  const missing = str('missing')
  if (missing !== undefined) map.missing = ['', ...missing.split(',').map(s => s.trim())]
  return map
}

function parseTime (v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const t = Date.parse(v)
  if (!Number.isFinite(t)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${name} "${v}" is not an ISO 8601 time`)
  return t
}

function formatSpan (ms: number): string {
  const sign = ms < 0 ? '−' : '+'
  const m = Math.round(Math.abs(ms) / MIN)
  const d = Math.floor(m / 1440)
  const h = Math.floor((m % 1440) / 60)
  return `${sign}${d} d ${h} h ${m % 60} min`
}

const REPLAY_OPTIONS = {
  file: { type: 'string' },
  station: { type: 'string' },
  speed: { type: 'string', default: '600' },
  from: { type: 'string' },
  to: { type: 'string' },
  drill: { type: 'boolean', default: false },
  adaptive: { type: 'boolean', default: false },
  resample: { type: 'boolean', default: false },
  detail: { type: 'boolean', default: false },
  'battery-column': { type: 'string' },
  'keep-times': { type: 'boolean', default: false },
  interval: { type: 'string', default: '10' },
  'mqtt-url': { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  credentials: { type: 'string' },
  json: { type: 'boolean', default: false },
  report: { type: 'string' },
  'no-report': { type: 'boolean', default: false },
  format: { type: 'string' },
  'time-col': { type: 'string' },
  'date-col': { type: 'string' },
  'clock-col': { type: 'string' },
  'level-col': { type: 'string' },
  'first-hour-col': { type: 'string' },
  tz: { type: 'string' },
  units: { type: 'string' },
  zero: { type: 'string' },
  'skip-rows': { type: 'string' },
  missing: { type: 'string' },
  'on-bad-row': { type: 'string', default: 'abort' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' }
} as const

type ReplayValues = ReturnType<typeof parseReplayArgs>
// the parsed flags' type follows the table above
function parseReplayArgs (argv: string[]) { return parseArgs({ args: argv, options: REPLAY_OPTIONS }).values }

/** the data-time window to send and the shift that lands its last frame at "now" */
function replayWindow (values: ReplayValues, points: ReadonlyArray<{ time: number }>, now: () => number): { from: number, to: number, startedAt: number, shiftMs: number } {
  // resampling steps from a whole minute; a native replay starts at the first row itself
  const from0 = parseTime(values.from, 'from') ?? points[0]?.time ?? 0
  const resample = values.resample || values.adaptive
  const from = resample ? Math.ceil(from0 / MIN) * MIN : from0
  const to = parseTime(values.to, 'to') ?? points[points.length - 1]?.time ?? 0
  if (points.length === 0 || to < from) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'nothing to replay (empty record, or --to before --from)')
  if (to - from >= MAX_AGE_MS) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `the replay spans ${((to - from) / 86_400_000).toFixed(1)} days; a frame's time tag reaches only 45 days back, so replay at most 45 days at a time (--from/--to)`)
  }
  const startedAt = now()
  // Frames are sent in data-time order, so the last one lands at "now" (whole minutes,
  // as the time tag counts minutes) and every earlier one inside the 45-day window.
  const shiftMs = values['keep-times'] ? 0 : Math.floor(startedAt / MIN) * MIN - Math.floor(to / MIN) * MIN
  if (shiftMs === 0 && (startedAt - from > MAX_AGE_MS || to > startedAt + 5 * MIN)) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--keep-times needs a record within the last 45 days and not in the future: a frame\'s 16-bit minute tag is resolved against the arrival time. Leave the times shifted (the default).')
  }
  return { from, to, startedAt, shiftMs }
}

/** --password, --password-file, or the simulator's credentials file (`mimamori sim --provision`) */
function devicePassword (values: ReplayValues, config: Config, station: Station): string | undefined {
  if (values['password-file'] !== undefined) return readSecretFile(values['password-file'])
  if (values.password !== undefined) return values.password
  // the simulator's credentials file (`mimamori sim --provision`), as `mimamori sim` uses it
  const file = values.credentials === undefined ? defaultSimCredentialsFile(config) : resolve(values.credentials)
  if (values.credentials === undefined && !existsSync(file)) return undefined
  const entry = readSimCredentials(file).devices[station.deviceId]
  if (entry === undefined && values.credentials !== undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `${file} has no credentials for gauge ${station.deviceId}`)
  return entry !== undefined && entry.kind === 'gauge' ? entry.password : undefined
}

/** replayHydrograph with a progress bar on a terminal (none with --json) */
async function replayWithProgress (values: ReplayValues, options: Omit<ReplayOptions, 'onFrame'> & { from: number, to: number }): Promise<ReplayResult> {
  const { from, to } = options
  const bar = values.json || !process.stderr.isTTY
    ? undefined
    : new cliProgress.SingleBar({
      format: ' {bar} {percentage}% | data {dataTime} | {frames} frames | {speed}× real time',
      hideCursor: true
    }, cliProgress.Presets.shades_classic)
  bar?.start(to - from, 0, { dataTime: new Date(from).toISOString().slice(0, 16), frames: 0, speed: '-' })

  try {
    const result = await replayHydrograph({
      ...options,
      onFrame: p => { bar?.update(p.time - from, { dataTime: new Date(p.time).toISOString().slice(0, 16), frames: p.frames, speed: Math.round(p.speedup) }) }
    })
    bar?.update(to - from)
    return result
  } finally {
    bar?.stop()
  }
}

function printSummary (summary: ReplaySummary, { station, table, intervalMin, detail }: { station: Station, table: LevelTable, intervalMin: number, detail: boolean }): void {
  const { shiftMs, runFile, drill: drillStation, speedRequested: speed, report, reportFiles } = summary
  const reasons = summary.reasons === undefined ? '' : ` (${summary.measurements} measurements; ${Object.entries(summary.reasons).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})`
  process.stdout.write([
    `Replay — ${station.name} (${station.id}) ← ${summary.file}`,
    `  frames:      ${summary.frames}${summary.adaptive ? ' adaptive 監視/観測 (resampled, demo)' : summary.resampled ? ` every ${intervalMin} min (resampled, demo: gaps bridged)` : ' = the recorded rows at their own times (nothing invented, gaps kept)'}${reasons}`,
    `  data:        ${summary.dataFrom} → ${summary.dataTo} (${summary.dataSpanHours.toFixed(1)} h)`,
    shiftMs === 0
      ? '  times:       original data times (--keep-times)'
      : `  times:       shifted ${formatSpan(shiftMs)} to end now: sent ${summary.sentFrom} → ${summary.sentTo} (a frame's time tag reaches only 45 days back); stored in ${runFile}`,
    `  wall time:   ${summary.wallSeconds.toFixed(1)} s`,
    `  speed-up:    ${Math.round(summary.speedup)}× real time (asked ${speed === 'max' ? 'max' : `${speed}×`})`,
    `  alerts:      ${drillStation ? '【訓練】 drill (drill station)' : 'REAL — this station is not a drill station'}`,
    `  input:       ${table.format}, ${table.columns.time} / ${table.columns.level} in ${table.units}, times ${table.tz}; ${table.bad.length} bad rows skipped, ${table.missing} missing values, ${table.flagged} provisional`,
    ''
  ].join('\n'))
  if (report !== undefined) process.stdout.write(formatReport(report, detail))
  if (reportFiles !== undefined) process.stdout.write(`  files: ${reportFiles.json}, ${reportFiles.svg}\n`)
}

/** `mimamori sim replay …` (argv after `sim replay`); resolves to the exit code. */
export async function simReplayCommand (argv: string[], now: () => number = Date.now): Promise<number> {
  const values = parseReplayArgs(argv)
  if (values.help === true) {
    process.stdout.write(REPLAY_USAGE + '\n')
    return 0
  }
  if (values.file === undefined || values.station === undefined) {
    process.stderr.write(`--file and --station are required\n\n${REPLAY_USAGE}\n`)
    return 2
  }
  const speed: number | 'max' = values.speed === 'max' ? 'max' : Number(values.speed)
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--speed must be a number > 0 or "max" (got "${values.speed}")`)
  const intervalMin = Number(values.interval)
  if (!Number.isInteger(intervalMin) || intervalMin < 1 || intervalMin > 255) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--interval must be whole minutes 1..255')

  const { config } = resolveConfig(values.config, process.env)
  const station: Station | undefined = config.stations.find(s => s.id === values.station)
  if (station === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station "${values.station}"; known: ${config.stations.map(s => s.id).join(', ')}`)
  }
  const drillStation = station.drill === true || config.river.rules.drill
  if (values.drill && !drillStation) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `station "${station.id}" is not a drill station: a drill replay into it would raise real alerts and mix its readings with the real ones. ` +
      'Configure a 訓練局 for drills (stations[].drill: true, its own deviceId) and replay into that.')
  }

  const table = readLevelTable(values.file, columnMap(values))
  const points = table.points
  for (const b of table.bad) process.stderr.write(`skipped ${basename(values.file)}:${b.line}: ${b.reason}: "${b.text}"\n`)
  const { from, to, startedAt, shiftMs } = replayWindow(values, points, now)

  const password = devicePassword(values, config, station)
  const mqttUrl = values['mqtt-url'] ?? (config.sim.mqttUrl === '' ? localBrokerUrl(config) : config.sim.mqttUrl)

  const result = await replayWithProgress(values, { station, points, mqttUrl, logger: silentLogger(), intervalMs: intervalMin * MIN, resample: values.resample, from, to, shiftMs, speed, adaptive: values.adaptive, ...(password === undefined ? {} : { username: station.deviceId, password }) })
  const first = result.uplinks[0] ?? from
  const last = result.uplinks[result.uplinks.length - 1] ?? from
  let report: ReplayReport | undefined
  let reportFiles: { json: string, svg: string } | undefined
  if (!values['no-report']) {
    const collected = await collectReport({ config, station, file: basename(values.file), points, from, to, shiftMs, frames: result.frames, sentFrom: Math.floor((first + shiftMs) / MIN) * MIN, sentTo: last + shiftMs, zone: table.zone })
    report = collected.report
    if (values.report !== undefined) reportFiles = writeReportFiles(values.report, report, points, collected.readings, shiftMs)
  }
  const runFile = recordRun(config, { station: station.id, file: basename(values.file), startedAt, shiftMs, dataFrom: new Date(result.from).toISOString(), dataTo: new Date(result.to).toISOString(), sentFrom: new Date(first + shiftMs).toISOString(), sentTo: new Date(last + shiftMs).toISOString(), frames: result.frames, resampled: result.resampled })
  const summary: ReplaySummary = {
    station: station.id,
    file: basename(values.file),
    frames: result.frames,
    measurements: result.measurements,
    ...(result.reasons === undefined ? {} : { reasons: { ...result.reasons } }),
    dataFrom: new Date(result.from).toISOString(),
    dataTo: new Date(result.to).toISOString(),
    dataSpanHours: result.dataSpanMs / 3_600_000,
    sentFrom: new Date(first + shiftMs).toISOString(),
    sentTo: new Date(last + shiftMs).toISOString(),
    shiftMs,
    wallSeconds: result.wallMs / 1000,
    speedRequested: speed,
    speedup: result.speedup,
    adaptive: values.adaptive,
    resampled: result.resampled,
    runFile,
    drill: drillStation,
    input: { format: table.format, units: table.units, tz: table.tz, zone: table.zone, columns: table.columns, rows: table.points.length, badRows: table.bad.length, missing: table.missing, flagged: table.flagged },
    ...(report === undefined ? {} : { report }),
    ...(reportFiles === undefined ? {} : { reportFiles })
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(summary) + '\n')
    return 0
  }
  printSummary(summary, { station, table, intervalMin, detail: values.detail })
  return 0
}
