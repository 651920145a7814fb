import { MimamoriError } from '../core/errors.js'

/**
 * A part's database steps: a driver error (SQLITE_BUSY, a constraint, a full disk) becomes
 * MIMAMORI_ERR_STORE naming the part and the step; an error that already has a code passes
 * through unchanged, so a refusal inside a step keeps its own code.
 */
export function storeSteps (part: string): <T>(what: string, fn: () => T) => T {
  const prefix = part === '' ? '' : `${part} `
  return (what, fn) => {
    try {
      return fn()
    } catch (err) {
      if (err instanceof MimamoriError) throw err
      throw new MimamoriError('MIMAMORI_ERR_STORE', `${prefix}${what}: ${(err as Error).message}`, { cause: err })
    }
  }
}
