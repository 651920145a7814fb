import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { parquetMetadata } from 'hyparquet'
import { parquetWriter } from '../../store/export/format.js'
import type { Column } from '../../store/export/datasets.js'
import { parquetRows } from '../../dashboard/web/src/parquet-rows.js'
import { suggestAdvisoryLevel } from '../../core/river/advisory-level.js'

const COLUMNS: Column[] = [{ name: 'station', type: 'STRING' }, { name: 'time', type: 'TIMESTAMP' }, { name: 'level', type: 'DOUBLE' }]

async function parquetOf (n: number, perGroup: number): Promise<Uint8Array> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => { chunks.push(c) })
  const w = parquetWriter(COLUMNS, sink)
  for (let i = 0; i < n; i += perGroup) {
    await w.rows(Array.from({ length: Math.min(perGroup, n - i) }, (_, k) => ['赤川 (羽黒橋)', Date.UTC(2026, 6, 1) + (i + k) * 600_000, (i + k) % 7 === 0 ? null : 1 + (i + k) / 1000]))
  }
  await w.end()
  sink.end()
  return new Uint8Array(Buffer.concat(chunks))
}

describe('export view: rows really written, from the Parquet footer', () => {
  it('reads num_rows as hyparquet does, over several row groups (4 337 rows, not the 8 654 estimate)', async () => {
    for (const [n, per] of [[0, 1], [1, 1], [4337, 1000], [20_001, 20_000]] as const) {
      const bytes = await parquetOf(n, per)
      expect(parquetRows(bytes)).toBe(n)
      expect(parquetRows(bytes)).toBe(Number(parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).num_rows))
    }
  })

  it('says null for what is not a Parquet file (never a made-up count)', () => {
    expect(parquetRows(new TextEncoder().encode('\uFEFFtime,level\r\n'))).toBeNull()
    expect(parquetRows(new Uint8Array(0))).toBeNull()
  })
})

describe('advisory level from now', () => {
  const t = { observationStart: 0.6, standby: 0.9, caution: 1.4, evacuationJudgement: 1.9, danger: 2.3, flooding: 2.9 }
  it('follows the current level and trend, never a peak', () => {
    expect(suggestAdvisoryLevel(1.95, -0.3, t)).toBe(3) // back down from a Lv5 peak, falling
    expect(suggestAdvisoryLevel(1.95, null, t)).toBe(3) // trend unknown: no forecast from it
    expect(suggestAdvisoryLevel(2.0, 0.2, t)).toBe(4) // 2.3 m within 1.5 h at this rate
    expect(suggestAdvisoryLevel(2.0, 0.05, t)).toBe(3) // 6 h away
    expect(suggestAdvisoryLevel(2.35, -0.5, t)).toBe(4)
    expect(suggestAdvisoryLevel(3.0, 0, t)).toBe(5)
    expect(suggestAdvisoryLevel(null, null, t)).toBe(3)
  })
})
