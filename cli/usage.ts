import { parseArgs, type ParseArgsConfig } from 'node:util'

/**
 * What every `mimamori NOUN ACTION …` command (user, token, device …) shares: the flags and the usage rule.
 */

/** the flags every such command takes; spread into its parseArgs options beside its own */
export const ACTION_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

/**
 * --help prints the usage and succeeds (0); no action prints it and fails (2). Returns that exit
 * code when the usage was printed, undefined when the command goes on.
 */
export function usageExit (usage: string, help: boolean | undefined, action: string | undefined, out: (s: string) => void): number | undefined {
  if (help !== true && action !== undefined) return undefined
  out(usage + '\n')
  return help === true ? 0 : 2
}

/**
 * Parses a `mimamori NOUN ACTION …` command line: the shared flags beside the command's own, then
 * the usage rule. `exit` is set when the usage was printed and the command must return it.
 */
export function parseAction<const O extends NonNullable<ParseArgsConfig['options']>> (argv: string[], usage: string, options: O, out: (s: string) => void):
  ReturnType<typeof parseArgs<{ args: string[], allowPositionals: true, options: typeof ACTION_OPTIONS & O }>> & { exit: number | undefined } {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...ACTION_OPTIONS, ...options } })
  return { ...parsed, exit: usageExit(usage, (parsed.values as { help?: boolean }).help, parsed.positionals[0], out) } as never
}

/** an action the command does not know: says so with the usage, exit code 2 */
export function unknownAction (noun: string, action: string | undefined, usage: string, out: (s: string) => void): number {
  out(`unknown ${noun} action "${action ?? ''}"\n\n${usage}\n`)
  return 2
}
