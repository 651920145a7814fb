import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { parquetReadObjects } from 'hyparquet'
import { csvWriter, isoWithOffset, parquetWriter } from '../../store/export/format.js'
import type { Column } from '../../store/export/datasets.js'

async function collect (write: (sink: PassThrough) => Promise<void>): Promise<Buffer> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => { chunks.push(c) })
  await write(sink)
  sink.end()
  return Buffer.concat(chunks)
}

const COLUMNS: Column[] = [{ name: 'name', type: 'STRING' }, { name: 'time', type: 'TIMESTAMP' }, { name: 'level', type: 'DOUBLE' }, { name: 'ok', type: 'BOOLEAN' }]

describe('export formats', () => {
  it('writes times at +09:00 that parse back to the same instant, across days and milliseconds', () => {
    for (const t of [0, Date.UTC(2026, 6, 1, 0, 30, 0, 5), Date.UTC(2026, 11, 31, 15, 0, 0, 999), Date.UTC(2024, 1, 28, 23, 59, 59, 1)]) {
      const s = isoWithOffset(t)
      expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00$/)
      expect(Date.parse(s)).toBe(t)
    }
    expect(isoWithOffset(Date.UTC(2026, 6, 1, 15, 0), 0)).toBe('2026-07-01T15:00:00.000+00:00')
    expect(isoWithOffset(Date.UTC(2026, 6, 1, 15, 0), -300)).toBe('2026-07-01T10:00:00.000-05:00')
  })

  it('CSV: BOM once, RFC 4180 quoting, empty for null, and no cell a spreadsheet would run as a formula', async () => {
    const bytes = await collect(async sink => {
      const w = csvWriter(COLUMNS, sink)
      await w.rows([['赤川 "羽黒橋", 上流', Date.UTC(2026, 6, 1), 1.25, true], ['=HYPERLINK("x")', Date.UTC(2026, 6, 2), null, false]])
      await w.rows([['-1+1', Date.UTC(2026, 6, 3), 0, null]])
      await w.end()
    })
    const text = bytes.toString('utf8')
    expect(text.startsWith('\uFEFFname,time,level,ok\r\n')).toBe(true)
    expect(text.split('\uFEFF').length).toBe(2)
    const lines = text.slice(1).split('\r\n')
    expect(lines[1]).toBe('"赤川 ""羽黒橋"", 上流",2026-07-01T09:00:00.000+09:00,1.25,true')
    expect(lines[2]).toBe('"\'=HYPERLINK(""x"")",2026-07-02T09:00:00.000+09:00,,false')
    expect(lines[3]).toBe('\'-1+1,2026-07-03T09:00:00.000+09:00,0,')
  })

  it('CSV with no rows is the header alone', async () => {
    const text = (await collect(async sink => { await csvWriter(COLUMNS, sink).end() })).toString('utf8')
    expect(text).toBe('\uFEFFname,time,level,ok\r\n')
  })

  it('Parquet: row groups streamed as they are written, read back whole with nulls and times', async () => {
    let flushed = 0
    const bytes = await collect(async sink => {
      sink.on('data', () => { flushed++ })
      const w = parquetWriter(COLUMNS, sink)
      await w.rows([['a', Date.UTC(2026, 6, 1), 1.5, true], ['b', Date.UTC(2026, 6, 2), null, null]])
      // the first row group is on the sink before the file is finished
      expect(flushed).toBeGreaterThan(0)
      await w.rows([['c', Date.UTC(2026, 6, 3), 2.5, false]])
      await w.end()
    })
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }) as Array<Record<string, unknown>>
    expect(rows.map(r => r.name)).toEqual(['a', 'b', 'c'])
    expect(rows.map(r => r.level)).toEqual([1.5, null, 2.5])
    expect((rows[2]!.time as Date).getTime()).toBe(Date.UTC(2026, 6, 3))
    expect(rows.map(r => r.ok)).toEqual([true, null, false])
  })
})
