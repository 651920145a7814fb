import { readFileSync } from 'node:fs'
import { MimamoriError } from '../errors.js'

export interface Point { time: number, level: number }

/**
 * A level series from CSV: our `time,level_m` (shared/data/river) or the 水文水質データベース /
 * 川の防災情報 exports with a date and a time column (YYYY/MM/DD,HH:MM,value; 24:00 = next day 00:00,
 * JST unless the time carries an offset). Rows whose value is empty, '-', '閉局' or '欠測' are gaps.
 */
export function readSeriesCsv (file: string): Point[] {
  return parseSeriesCsv(readFileSync(file, 'utf8'), file)
}

export function parseSeriesCsv (textIn: string, what: string): Point[] {
  const lines = textIn.replace(/^\uFEFF/, '').split(/\r?\n/)
  const out: Point[] = []
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const cols = line.split(',').map(c => c.trim().replace(/^"|"$/g, ''))
    const p = parseRow(cols)
    if (p === null) {
      if (i === 0 || out.length === 0) continue // header or preamble
      continue
    }
    out.push(p)
  }
  if (out.length === 0) throw new MimamoriError('MIMAMORI_ERR_DATA_ROW', `${what}: no readable time,level rows`)
  out.sort((a, b) => a.time - b.time)
  return out
}

function parseRow (cols: string[]): Point | null {
  if (cols.length >= 3 && /^\d{4}[/-]\d{1,2}[/-]\d{1,2}$/.test(cols[0]!) && /^\d{1,2}:\d{2}$/.test(cols[1]!)) {
    const [y, mo, d] = cols[0]!.split(/[/-]/).map(Number) as [number, number, number]
    const [h, mi] = cols[1]!.split(':').map(Number) as [number, number]
    const time = Date.UTC(y, mo - 1, d, h - 9, mi) // JST
    const level = Number(cols[2])
    return cols[2] === '' || !Number.isFinite(level) ? null : { time, level }
  }
  if (cols.length >= 2) {
    const time = Date.parse(cols[0]!)
    const level = Number(cols[1])
    if (Number.isFinite(time) && cols[1] !== '' && Number.isFinite(level)) return { time, level }
  }
  return null
}
