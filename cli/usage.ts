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
