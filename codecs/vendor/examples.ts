import type { DecodeResult } from './sandbox.js'

/** One `uplinkDecoder.examples` entry of a TTN codec YAML. */
export interface CodecExample {
  description?: string
  input: { fPort: number, bytes: number[], recvTime?: string }
  output: DecodeResult
}

/** A failed example: what was sent, and where the codec's answer differs from the expected one. */
export interface ExampleFailure {
  description: string
  input: { fPort: number, bytes: string }
  differences: string[]
}

const hex = (bytes: readonly number[]): string => bytes.map(b => b.toString(16).padStart(2, '0')).join('').toUpperCase()

/** Checks one example's shape (a YAML typo must not pass as "no examples"). */
export function isCodecExample (x: unknown): x is CodecExample {
  if (x === null || typeof x !== 'object') return false
  const e = x as { input?: { fPort?: unknown, bytes?: unknown }, output?: unknown }
  return typeof e.input?.fPort === 'number' && Array.isArray(e.input.bytes) && e.input.bytes.every(b => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255) &&
    e.output !== null && typeof e.output === 'object'
}

/**
 * Compares a decode with an example's expected output the way the device
 * repository's own check does: `data` and `errors` must match, `warnings` when
 * the example lists them. Numbers agree within 1e-9 (relative), so a float
 * computed in another order is not a failure.
 */
export function compareExample (example: CodecExample, actual: DecodeResult): ExampleFailure | null {
  const differences: string[] = []
  diff('data', example.output.data, actual.data, differences)
  diff('errors', example.output.errors, actual.errors, differences)
  if (example.output.warnings !== undefined) diff('warnings', example.output.warnings, actual.warnings, differences)
  if (differences.length === 0) return null
  return { description: example.description ?? '(no description)', input: { fPort: example.input.fPort, bytes: hex(example.input.bytes) }, differences }
}

/** An exception while decoding an example is a failure too, reported the same way. */
export function exampleThrew (example: CodecExample, message: string): ExampleFailure {
  return { description: example.description ?? '(no description)', input: { fPort: example.input.fPort, bytes: hex(example.input.bytes) }, differences: [`threw ${message}`] }
}

export function formatFailure (f: ExampleFailure): string {
  return `example "${f.description}" (fPort ${f.input.fPort}, bytes ${f.input.bytes}): ${f.differences.slice(0, 10).join('; ')}${f.differences.length > 10 ? `; … ${f.differences.length - 10} more` : ''}`
}

function show (v: unknown): string {
  const s = JSON.stringify(v)
  return s === undefined ? 'undefined' : s.length > 80 ? s.slice(0, 77) + '...' : s
}

function diff (path: string, expected: unknown, actual: unknown, out: string[]): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (expected === actual || Math.abs(expected - actual) <= 1e-9 * Math.max(1, Math.abs(expected))) return
    out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`)
    return
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) out.push(`${path}: expected ${expected.length} items, got ${actual.length}`)
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) diff(`${path}[${i}]`, expected[i], actual[i], out)
    return
  }
  if (isPlainObject(expected) && isPlainObject(actual)) {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(k in expected)) out.push(`${path}.${k}: not expected, got ${show(actual[k])}`)
      else if (!(k in actual)) out.push(`${path}.${k}: expected ${show(expected[k])}, missing`)
      else diff(`${path}.${k}`, expected[k], actual[k], out)
    }
    return
  }
  if (expected !== actual) out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`)
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
