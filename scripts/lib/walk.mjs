// The checkers' one file walker: every TypeScript source below a folder (no declarations,
// nothing under node_modules, dist or a dot folder); a folder that is not there gives none.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export function walk (dir, out = []) {
  let names
  try { names = readdirSync(dir) } catch { return out }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
  }
  return out
}
