import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

/**
 * The package root, found by walking up to our package.json. Source files run
 * from `./` under vitest and from `./dist/` once compiled, so a fixed `../..`
 * would be wrong in one of the two.
 */
export function packageRoot (): string {
  if (cached !== undefined) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }
      if (pkg.name === 'mimamori') {
        cached = dir
        return dir
      }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('mimamori package.json not found above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}
