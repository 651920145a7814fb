import { describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM script without types (scripts/check-layers.mjs)
import { analyse } from '../../scripts/check-layers.mjs'
// @ts-expect-error plain ESM script without types (scripts/check-tables.mjs)
import { analyse as tables } from '../../scripts/check-tables.mjs'

/** The import rules of docs/architecture.md, measured from the source by scripts/check-layers.mjs. */
describe('layers (scripts/check-layers.mjs)', () => {
  const r = analyse() as { files: number, violations: string[], cycles: number, ingestLines: number }

  it('has no import circles', () => {
    expect(r.violations.filter(v => v.startsWith('import circle'))).toEqual([])
    expect(r.cycles).toBe(0)
  })

  it('has no import up a floor, between services, or from the browser beyond core/ and the contract', () => {
    expect(r.violations).toEqual([])
  })

  it('keeps ingest/ (the pipeline, not the libraries) under 3 500 lines', () => {
    expect(r.ingestLines).toBeGreaterThan(0)
    expect(r.ingestLines).toBeLessThan(3500)
  })
})

describe('tables (scripts/check-tables.mjs)', () => {
  it('names every table in SQL only inside the part that owns it (reads across parts only where listed with a reason)', () => {
    const r = tables() as { tables: number, statements: number, violations: string[] }
    expect(r.tables).toBeGreaterThan(30)
    expect(r.statements).toBeGreaterThan(100)
    expect(r.violations).toEqual([])
  })
})
