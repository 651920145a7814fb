import { ParquetWriter, ByteWriter } from 'hyparquet-writer'
import type { Writable } from 'node:stream'
import type { Cell, Column } from './datasets.js'

/** Japan has no DST: every time in an export is written at +09:00 unless told otherwise */
export const JST_OFFSET_MIN = 540

const DAY_MS = 86_400_000
/** 'YYYY-MM-DDT' per local day: an export walks through few days, each many times */
const dayPrefix = new Map<number, string>()
const pad2 = (n: number): string => n < 10 ? `0${n}` : String(n)

/** ISO 8601 with the local offset (2026-07-01T09:30:00.000+09:00): what Excel and pandas both read as one instant */
export function isoWithOffset (ms: number, offsetMin = JST_OFFSET_MIN): string {
  const local = ms + offsetMin * 60_000
  const day = Math.floor(local / DAY_MS)
  let prefix = dayPrefix.get(day)
  if (prefix === undefined) {
    if (dayPrefix.size > 4096) dayPrefix.clear()
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11)
    dayPrefix.set(day, prefix)
  }
  let rest = local - day * DAY_MS
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const m = Math.floor(rest / 60_000)
  rest -= m * 60_000
  const sec = Math.floor(rest / 1000)
  const milli = Math.round(rest - sec * 1000)
  const sign = offsetMin < 0 ? '-' : '+'
  const abs = Math.abs(offsetMin)
  return `${prefix}${pad2(h)}:${pad2(m)}:${pad2(sec)}.${milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : milli}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
}

/** RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs a cell as a formula */
function csvCell (v: Cell, type: Column['type'], offsetMin: number): string {
  if (v === null) return ''
  if (type === 'TIMESTAMP') return isoWithOffset(v as number, offsetMin)
  if (typeof v !== 'string') return String(v)
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** writes to a Node stream and waits for it to drain, so a slow client slows the reader, not memory */
async function put (sink: Writable, chunk: string | Uint8Array): Promise<void> {
  if (sink.destroyed) throw new Error('export sink closed')
  if (!sink.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => { sink.off('drain', done); sink.off('close', done); sink.off('error', reject); resolve() }
      sink.once('drain', done)
      sink.once('close', done)
      sink.once('error', reject)
    })
  }
}

export interface ExportWriter {
  rows(batch: Cell[][]): Promise<void>
  end(): Promise<void>
}

/** UTF-8 with a BOM: Excel in a Japanese locale otherwise reads the names as Shift_JIS */
export function csvWriter (columns: Column[], sink: Writable, offsetMin = JST_OFFSET_MIN): ExportWriter {
  let started = false
  return {
    async rows (batch) {
      let text = started ? '' : '\uFEFF' + columns.map(c => c.name).join(',') + '\r\n'
      started = true
      for (const row of batch) text += row.map((v, i) => csvCell(v, columns[i]!.type, offsetMin)).join(',') + '\r\n'
      await put(sink, text)
    },
    async end () {
      if (!started) await put(sink, '\uFEFF' + columns.map(c => c.name).join(',') + '\r\n')
    }
  }
}

const PARQUET_TYPES = {
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  DOUBLE: { type: 'DOUBLE' },
  INT32: { type: 'INT32' },
  TIMESTAMP: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  BOOLEAN: { type: 'BOOLEAN' }
} as const

/**
 * Parquet, one row group per batch: hyparquet-writer calls `flush()` after each
 * row group, and ours hands the bytes to the sink and resets the buffer, so the
 * file is never held whole (the footer keeps only offsets).
 */
export function parquetWriter (columns: Column[], sink: Writable): ExportWriter {
  const bytes = new ByteWriter()
  const flush = async (): Promise<void> => {
    if (bytes.index === 0) return
    // copy: the buffer is reused for the next row group
    const chunk = new Uint8Array(bytes.buffer, 0, bytes.index).slice()
    bytes.index = 0
    await put(sink, chunk)
  }
  Object.assign(bytes, { flush, finish: flush })
  const writer = new ParquetWriter({
    writer: bytes,
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map(c => ({ name: c.name, ...PARQUET_TYPES[c.type], repetition_type: 'OPTIONAL' as const }))
    ],
    createdBy: 'mimamori export'
  })
  return {
    async rows (batch) {
      await writer.write({
        columnData: columns.map((c, i) => ({ name: c.name, data: batch.map(r => r[i] ?? null) })),
        rowGroupSize: batch.length
      })
    },
    async end () {
      await writer.finish()
      await flush()
    }
  }
}
