import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs, type ParseArgsConfig } from 'node:util'

/**
 * Every bench takes `--name value` options with a default; a list default makes
 * the option repeatable. Unknown options fail (parseArgs is strict), so a typo
 * never silently benchmarks the default.
 */
export function benchArgs<T extends Record<string, string | string[]>> (defaults: T): { [K in keyof T]: T[K] extends string[] ? string[] : string } {
  const options: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(Object.entries(defaults).map(([name, value]) =>
    [name, Array.isArray(value) ? { type: 'string', multiple: true, default: value } : { type: 'string', default: value }]))
  return parseArgs({ options }).values as never
}

/** the load every broker bench puts on a broker: publishers, messages, warm-up, pinning */
export const brokerLoadDefaults = { messages: '40000', publishers: '100', warmup: '5000', pin: 'true' }

const TASKSET = '/usr/bin/taskset'

/** pinning works only with taskset and at least two CPUs (one for the system, one for the load) */
export const canPin = (wanted: boolean): boolean => wanted && availableParallelism() >= 2 && existsSync(TASKSET)

/** command → [file, args], on one CPU when `pin` is on */
export function pinnedCommand (pin: boolean, cpu: number, file: string, args: string[]): [string, string[]] {
  return pin ? [TASKSET, ['-c', String(cpu), file, ...args]] : [file, args]
}
