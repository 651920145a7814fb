import { readFileSync } from 'node:fs'
import { MimamoriError } from '../../core/errors.js'
import type { RecordedPoint } from './csv.js'

/**
 * Water-level records in the layouts researchers actually have, read into the
 * `time,level_m` points the replay uses (docs/replay.md):
 *
 * - `csv`  one row per observation; the time in one column (`time`) or a date and a
 *          clock column (`date` + `clock`, as JMA/MLIT downloads have them); comma, tab or
 *          semicolon separated; `#` lines are comments.
 * - `wide` one row per day, the hourly values across (MLIT 水文水質DB 時刻水位月表, JMA
 *          tables): `date` column and `firstHour` = the column of 1時; 24時 is 00:00 of
 *          the next day.
 * - `rdb`  USGS RDB (tab separated, `#` comments, a column-format line under the header);
 *          `datetime` + `tz_cd`, the level the first `…_00065` column (gauge height, ft).
 *
 * Times without a UTC offset need `tz` (e.g. `+09:00`): a record is never silently read
 * in the machine's zone. Values are converted from `units` to metres. A row that cannot
 * be read is reported with its line number; `onBadRow: 'abort'` (default) stops at the
 * first, `'skip'` leaves it out and goes on. Empty or marked values (欠測, 閉局, `-`, …)
 * are gaps, not errors: counted in `missing`.
 */
export type TableFormat = 'csv' | 'wide' | 'rdb'
export type LevelUnit = 'm' | 'cm' | 'mm' | 'ft'

export interface ColumnMap {
  format?: TableFormat
  /** a header name or a 0-based column index (as a number or digit string) */
  time?: string | number
  date?: string | number
  clock?: string | number
  level?: string | number
  /** battery voltage column (V), replayed in each frame instead of a fixed 3.6 V (`--battery-column`) */
  battery?: string | number
  /** wide: the column of the 1時 value (default: the one after `date`) */
  firstHour?: string | number
  /** `+09:00`, `-05:00`, `Z`/`UTC`; required when the times carry no offset */
  tz?: string
  units?: LevelUnit
  /** lines before the header row (titles, station blocks) */
  skipRows?: number
  /** values that mean "no observation" */
  missing?: readonly string[]
  onBadRow?: 'abort' | 'skip'
  /** the gauge's zero on the datum the levels are in: subtracted (e.g. T.P. elevations → 水位) */
  zeroM?: number
}

export interface BadRow {
  line: number
  text: string
  reason: string
}

export interface LevelTable {
  points: RecordedPoint[]
  bad: BadRow[]
  missing: number
  /** values carrying a provisional / estimated mark (MLIT `*`, `$`, USGS `P`, `e`), kept */
  flagged: number
  format: TableFormat
  units: LevelUnit
  tz: string
  /** the data's own UTC offset (+09:00, Z, -05:00): the report prints times in it; from --tz, else the first row's written offset, else Z */
  zone: string
  columns: { time: string, level: string, battery?: string }
}

const DEFAULT_MISSING = ['', '-', '--', '---', '欠測', '閉局', '未登録', 'NaN', 'nan', 'NA', 'null', 'Ice', 'Eqp', 'Dis', 'Ssn', '***']
const UNIT_M: Record<LevelUnit, number> = { m: 1, cm: 0.01, mm: 0.001, ft: 0.3048 }
/** USGS tz_cd values (and UTC) as offsets */
const USGS_TZ: Record<string, string> = { UTC: 'Z', GMT: 'Z', EST: '-05:00', EDT: '-04:00', CST: '-06:00', CDT: '-05:00', MST: '-07:00', MDT: '-06:00', PST: '-08:00', PDT: '-07:00', AKST: '-09:00', AKDT: '-08:00', HST: '-10:00', JST: '+09:00' }

function normaliseTz (tz: string): string {
  const t = tz.trim()
  if (/^(Z|UTC|GMT)$/i.test(t)) return 'Z'
  if (/^JST$/i.test(t)) return '+09:00'
  const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(t)
  if (m === null) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--tz "${tz}" is not a UTC offset (e.g. +09:00, -05:00, UTC)`)
  return `${m[1]}${m[2]!.padStart(2, '0')}:${m[3] ?? '00'}`
}

/** an ISO-ish time (2024-08-30T13:00, 2024/08/30 13:00, 2024-08-30 13:00:00) → ms; undefined when unreadable */
export function parseTime (text: string, tz: string | undefined): number | undefined {
  let s = text.trim().replace(/^(\d{4})\/(\d{1,2})\/(\d{1,2})/, (_, y: string, mo: string, d: string) => `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`)
  s = s.replace(/^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(:\d{2}(?:\.\d+)?)?/, (_, d: string, h: string, mi: string, sec: string | undefined) => `${d}T${h.padStart(2, '0')}:${mi}${sec ?? ''}`)
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00'
  // 24:00 (end of day, MLIT and JMA write it) is 00:00 of the next day
  let plusDay = 0
  if (/T24:00(:00)?/.test(s)) { s = s.replace(/T24:00(:00)?/, 'T00:00'); plusDay = 86_400_000 }
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(s)
  if (!hasOffset) {
    if (tz === undefined) return undefined
    s += tz
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) return undefined
  const t = Date.parse(s)
  return Number.isFinite(t) ? t + plusDay : undefined
}

/** the UTC offset a time is written with (`…+09:00` → +09:00, `…Z` → Z) */
function writtenOffset (text: string): string | undefined {
  const m = /(Z|[+-]\d{2}:?\d{2})$/.exec(text.trim())
  if (m === null) return undefined
  return m[1] === 'Z' ? 'Z' : normaliseTz(m[1]!)
}

function splitRow (line: string, sep: string): string[] {
  // quoted fields ("1,234" or "2024/08/30") as spreadsheet exports write them
  if (!line.includes('"')) return line.split(sep).map(c => c.trim())
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') { cur += '"'; i++ } else quoted = !quoted
    } else if (ch === sep && !quoted) { out.push(cur.trim()); cur = '' } else cur += ch
  }
  out.push(cur.trim())
  return out
}

function columnIndex (header: string[], want: string | number | undefined, fallback: string[], what: string): number {
  if (typeof want === 'number' || (typeof want === 'string' && /^\d+$/.test(want))) {
    const i = Number(want)
    if (i >= header.length) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${what}-col ${i}: the header has only ${header.length} columns (${header.join(', ')})`)
    return i
  }
  const names = want === undefined ? fallback : [want]
  const i = header.findIndex(h => names.some(n => h.toLowerCase() === n.toLowerCase()))
  if (i < 0) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `no ${what} column ${want === undefined ? `(looked for ${fallback.join(', ')})` : `"${want}"`} in the header: ${header.join(', ')}; name it with --${what}-col`)
  return i
}

/** a value with an optional provisional mark; undefined = missing */
function parseValue (raw: string, missing: ReadonlySet<string>): { value: number, flagged: boolean } | 'missing' | undefined {
  const v = raw.trim()
  if (missing.has(v)) return 'missing'
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))\s*([*$#)Pe]|\(.*\))?$/.exec(v.replace(/,(?=\d{3}\b)/g, ''))
  if (m === null) return undefined
  return { value: Number(m[1]), flagged: m[2] !== undefined }
}

export function readLevelTable (file: string, map: ColumnMap = {}): LevelTable {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseLevelTable(text.replace(/^\uFEFF/, ''), map, file)
}

export function parseLevelTable (text: string, map: ColumnMap = {}, name = 'data'): LevelTable {
  const lines = text.split(/\r?\n/)
  const looksRdb = lines.some(l => l.startsWith('# ') && /USGS|U\.S\. Geological/i.test(l)) || (lines.find(l => !l.startsWith('#') && l.trim() !== '')?.startsWith('agency_cd') ?? false)
  const format: TableFormat = map.format ?? (looksRdb ? 'rdb' : 'csv')
  const units: LevelUnit = map.units ?? (format === 'rdb' ? 'ft' : 'm')
  const tz = map.tz === undefined ? undefined : normaliseTz(map.tz)
  const missing = new Set(map.missing ?? DEFAULT_MISSING)
  const onBad = map.onBadRow ?? 'abort'
  const bad: BadRow[] = []
  const points: RecordedPoint[] = []
  let missingCount = 0
  let flagged = 0
  const zero = map.zeroM ?? 0

  // the header: first line after skipRows that is not a comment
  let i = map.skipRows ?? 0
  while (i < lines.length && (lines[i]!.startsWith('#') || lines[i]!.trim() === '')) i++
  const headerLine = lines[i]
  if (headerLine === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${name}: no header row`)
  const sep = format === 'rdb' ? '\t' : (['\t', ',', ';'].map(s => [s, headerLine.split(s).length] as const).sort((a, b) => b[1] - a[1])[0]![0])
  const header = splitRow(headerLine, sep)
  i++
  // RDB: the line under the header gives column widths/types (5s 15s 20d …)
  if (format === 'rdb' && /^\d+[sdn]/.test(lines[i] ?? '')) i++

  const badRow = (lineNo: number, textOfRow: string, reason: string): void => {
    const row = { line: lineNo, text: textOfRow.length > 120 ? textOfRow.slice(0, 117) + '…' : textOfRow, reason }
    if (onBad === 'abort') {
      throw new MimamoriError('MIMAMORI_ERR_DATA_ROW', `${name}:${lineNo}: ${reason}: "${row.text}" (--on-bad-row skip leaves such rows out)`, { details: { line: lineNo, reason } })
    }
    bad.push(row)
  }
  const level = (v: number): number => Math.round((v * UNIT_M[units] - zero) * 1e6) / 1e6

  let timeName: string
  let levelName: string
  let batteryName: string | undefined
  let zone: string | undefined = tz
  if (format === 'wide') {
    const di = columnIndex(header, map.date ?? map.time, ['date', '日付', '年月日'], 'date')
    const h1 = map.firstHour === undefined ? di + 1 : columnIndex(header, map.firstHour, [], 'first-hour')
    if (h1 + 24 > header.length) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${name}: a wide table needs 24 hour columns from column ${h1} (the header has ${header.length})`)
    timeName = `${header[di]} + ${header[h1]}…${header[h1 + 23]}`
    levelName = 'hourly columns'
    for (; i < lines.length; i++) {
      const line = lines[i]!
      if (line.trim() === '' || line.startsWith('#')) continue
      const cells = splitRow(line, sep)
      const day = parseTime(cells[di] ?? '', tz)
      if (day === undefined) {
        badRow(i + 1, line, tz === undefined && /^\d{4}[-/]\d{1,2}[-/]\d{1,2}$/.test((cells[di] ?? '').trim()) ? 'the date has no UTC offset: give --tz (e.g. +09:00)' : `"${cells[di] ?? ''}" is not a date`)
        continue
      }
      for (let h = 1; h <= 24; h++) {
        const v = parseValue(cells[h1 + h - 1] ?? '', missing)
        if (v === 'missing') { missingCount++; continue }
        if (v === undefined) { badRow(i + 1, line, `hour ${h}: "${cells[h1 + h - 1] ?? ''}" is not a number`); continue }
        if (v.flagged) flagged++
        points.push({ time: day + h * 3_600_000, level: level(v.value) })
      }
    }
  } else {
    let ti: number
    let ci: number | undefined
    let tzi: number | undefined
    if (format === 'rdb') {
      ti = columnIndex(header, map.time, ['datetime'], 'time')
      tzi = header.findIndex(h => h === 'tz_cd')
      if (tzi < 0) tzi = undefined
    } else if (map.date !== undefined || map.clock !== undefined) {
      ti = columnIndex(header, map.date, ['date', '日付', '年月日'], 'date')
      ci = columnIndex(header, map.clock, ['time', 'clock', '時刻'], 'clock')
    } else ti = columnIndex(header, map.time, ['time', 'datetime', 'timestamp', '日時', '観測日時'], 'time')
    const li = format === 'rdb' && map.level === undefined
      ? header.findIndex(h => /_00065$/.test(h))
      : columnIndex(header, map.level, ['level_m', 'level', 'water_level', 'stage', '水位'], 'level')
    if (li < 0) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${name}: no gauge-height column (…_00065) in the RDB header; name it with --level-col`)
    const bi = map.battery === undefined ? undefined : columnIndex(header, map.battery, [], 'battery')
    if (bi !== undefined) batteryName = header[bi]!
    timeName = ci === undefined ? header[ti]! : `${header[ti]} + ${header[ci]}`
    levelName = header[li]!
    for (; i < lines.length; i++) {
      const line = lines[i]!
      if (line.trim() === '' || line.startsWith('#')) continue
      const cells = splitRow(line, sep)
      const rawTime = ci === undefined ? cells[ti] ?? '' : `${cells[ti] ?? ''} ${cells[ci] ?? ''}`
      const rowTz = tzi === undefined ? tz : (USGS_TZ[cells[tzi] ?? ''] ?? tz)
      const time = parseTime(rawTime, rowTz)
      if (time === undefined) {
        badRow(i + 1, line, rowTz === undefined && parseTime(rawTime, 'Z') !== undefined ? 'the time has no UTC offset: give --tz (e.g. +09:00)' : `"${rawTime}" is not a time`)
        continue
      }
      const v = parseValue(cells[li] ?? '', missing)
      if (v === 'missing') { missingCount++; continue }
      if (v === undefined) { badRow(i + 1, line, `"${cells[li] ?? ''}" is not a number`); continue }
      if (v.flagged || (format === 'rdb' && (cells[li + 1] ?? '').split(':').some(q => q === 'P' || q === 'e'))) flagged++
      zone ??= writtenOffset(rawTime) ?? (rowTz === undefined ? undefined : normaliseTz(rowTz))
      if (bi === undefined) points.push({ time, level: level(v.value) })
      else {
        const b = Number(cells[bi] ?? '')
        points.push({ time, level: level(v.value), batteryV: (cells[bi] ?? '').trim() === '' || !Number.isFinite(b) ? null : b })
      }
    }
  }
  points.sort((a, b) => a.time - b.time)
  // the same time twice (overlapping downloads): the later row wins, as a re-issued value would
  const unique: RecordedPoint[] = []
  for (const p of points) {
    if (unique.length > 0 && unique[unique.length - 1]!.time === p.time) unique[unique.length - 1] = p
    else unique.push(p)
  }
  return {
    points: unique, bad, missing: missingCount, flagged, format, units,
    tz: tz ?? (format === 'rdb' ? 'tz_cd column' : 'from the times'),
    zone: zone === undefined || zone === '+00:00' ? 'Z' : zone,
    columns: { time: timeName, level: levelName, ...(batteryName === undefined ? {} : { battery: batteryName }) }
  }
}
