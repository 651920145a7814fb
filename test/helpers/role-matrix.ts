import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Role } from '../../dashboard/server/auth/access.js'
import type { AccessTable } from '../../dashboard/server/auth/index.js'
import { REPO_ROOT } from './app.js'

export interface DocRow { method: string, url: string, access: 'public' | Role[], stream: boolean, demoOnly: boolean }

/** pages, scripts, styles and vendor files: public by design, described in prose above the matrix */
const ASSET = (url: string): boolean => url === '/' || url === '/*' || /\.(html|ico)$/.test(url) || /^\/(app|vendor|core|contract)\//.test(url)

/** docs/api.md's role matrix: `| \`METHOD /path\` | admin | staff | researcher | hunter |` (+ "stream" / "demo only") */
export function readRoleMatrix (): DocRow[] {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'api.md'), 'utf8')
  const lines = text.split('\n')
  const head = lines.findIndex(l => /^\| route \|/.test(l))
  if (head < 0) throw new Error('docs/api.md: no role matrix (| route | admin | …)')
  const roles = lines[head]!.split('|').slice(2, -1).map(c => c.trim()) as Role[]
  const rows: DocRow[] = []
  for (const line of lines.slice(head + 2)) {
    const m = /^\| `([A-Z]+) ([^`]+)` \|(.*)$/.exec(line)
    if (m === null) break
    const cells = m[3]!.split('|').map(c => c.trim())
    const marks = cells.slice(0, roles.length)
    const extra = cells.slice(roles.length).join(' ')
    const access = marks.every(c => c === 'public') ? 'public' as const : roles.filter((_, i) => marks[i] === '✓')
    rows.push({ method: m[1]!, url: m[2]!, access, stream: /\bstream\b/.test(extra), demoOnly: /demo only/.test(extra) })
  }
  return rows
}

/** every difference between the routes a dashboard registered and the matrix, as readable lines */
export function matrixMismatches (table: AccessTable, rows: DocRow[], { demo }: { demo: boolean }): string[] {
  const problems: string[] = []
  const doc = new Map(rows.map(r => [`${r.method} ${r.url}`, r]))
  const seen = new Set<string>()
  for (const r of table) {
    const key = `${r.method} ${r.url}`
    seen.add(key)
    if (r.access === 'public' && ASSET(r.url)) continue
    const d = doc.get(key)
    if (d === undefined) { problems.push(`${key}: registered but not in docs/api.md's role matrix`); continue }
    const actual = r.access === 'public' ? 'public' : [...(r.access ?? [])].sort().join(',')
    const documented = d.access === 'public' ? 'public' : [...d.access].sort().join(',')
    if (actual !== documented) problems.push(`${key}: code allows ${actual || 'nobody'}, docs say ${documented || 'nobody'}`)
    if (r.stream !== d.stream) problems.push(`${key}: stream ${r.stream} in code, ${d.stream} in docs`)
  }
  for (const d of rows) {
    const key = `${d.method} ${d.url}`
    if (!seen.has(key) && !(d.demoOnly && !demo)) problems.push(`${key}: in docs/api.md but no such route`)
  }
  return problems
}
