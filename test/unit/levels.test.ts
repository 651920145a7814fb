import { describe, expect, it } from 'vitest'
import { classifyLevel, severity, thresholdOrderProblem } from '../../core/levels.js'
import { LEVEL_STATUSES, type Thresholds } from '../../core/types.js'

const t: Thresholds = { standby: 1, caution: 1.5, evacuationJudgement: 2, danger: 2.5, flooding: 3 }

describe('classifyLevel', () => {
  it('a level equal to a threshold counts as reaching it', () => {
    expect(classifyLevel(1, t)).toBe('standby')
    expect(classifyLevel(1.5, t)).toBe('caution')
    expect(classifyLevel(2, t)).toBe('evacuationJudgement')
    expect(classifyLevel(2.5, t)).toBe('danger')
    expect(classifyLevel(3, t)).toBe('flooding')
  })

  it('1 mm below a threshold stays in the band beneath', () => {
    expect(classifyLevel(0.999, t)).toBe('normal')
    expect(classifyLevel(1.499, t)).toBe('standby')
    expect(classifyLevel(1.999, t)).toBe('caution')
    expect(classifyLevel(2.499, t)).toBe('evacuationJudgement')
    expect(classifyLevel(2.999, t)).toBe('danger')
  })

  it('covers the extremes, negative levels included', () => {
    expect(classifyLevel(-0.69, t)).toBe('normal')
    expect(classifyLevel(32.767, t)).toBe('flooding')
  })

  it('observationStart does not create a band of its own', () => {
    expect(classifyLevel(0.8, { ...t, observationStart: 0.5 })).toBe('normal')
  })
})

describe('severity', () => {
  it('follows LEVEL_STATUSES from calm to worst', () => {
    expect(LEVEL_STATUSES.map(severity)).toEqual([0, 1, 2, 3, 4, 5])
    expect(severity('flooding')).toBeGreaterThan(severity('danger'))
  })
})

describe('thresholdOrderProblem', () => {
  it('accepts strictly rising thresholds and observationStart up to caution', () => {
    expect(thresholdOrderProblem(t)).toBeNull()
    expect(thresholdOrderProblem({ ...t, observationStart: 1.5 })).toBeNull()
  })

  it('names the first pair out of order', () => {
    expect(thresholdOrderProblem({ ...t, caution: 1 })).toBe('caution (1) must be above standby (1)')
    expect(thresholdOrderProblem({ ...t, flooding: 2.4 })).toBe('flooding (2.4) must be above danger (2.5)')
  })

  it('rejects observationStart above caution', () => {
    expect(thresholdOrderProblem({ ...t, observationStart: 1.51 })).toBe('observationStart (1.51) must not be above caution (1.5)')
  })

  it('rejects NaN rather than letting a band go silently empty', () => {
    expect(thresholdOrderProblem({ ...t, danger: Number.NaN })).toBe('danger (NaN) must be above evacuationJudgement (2)')
  })
})
