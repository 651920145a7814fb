#!/usr/bin/env node
// The import rules of docs/architecture.md, measured from the source: every relative import of every
// non-test TypeScript file. Prints the violations and exits 1 when there are any.
//   floors (lowest first): core → codecs, store, vision → alerts → edge → services → cli → bench
//   services (broker, ingest, notify, dashboard, simulators, official, devices) never import each other.
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { walk } from './lib/walk.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FLOORS = {
  core: 0,
  codecs: 1, store: 1, vision: 1,
  alerts: 2,
  edge: 3,
  broker: 4, ingest: 4, notify: 4, dashboard: 4, simulators: 4, official: 4, fleet: 4,
  cli: 5,
  bench: 6,
  scripts: 6
}
const SERVICES = new Set(['broker', 'ingest', 'notify', 'dashboard', 'simulators', 'official', 'fleet'])

const floorOf = f => relative(root, f).split('/')[0]
export function analyse () {
  const files = Object.keys(FLOORS).flatMap(d => { try { return walk(join(root, d)) } catch { return [] } })
  // the browser bundle is its own program: it may import only core/ and the dashboard's contract
  const graph = new Map()
  const violations = []
  const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g
  for (const f of files) {
    const src = readFileSync(f, 'utf8')
    const deps = []
    for (const m of src.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]
      const target = normalize(join(dirname(f), spec)).replace(/\.js$/, '.ts')
      deps.push(target)
      const a = floorOf(f); const b = floorOf(target)
      const rf = relative(root, f); const rt = relative(root, target)
      const web = rf.startsWith('dashboard/web/')
      if (web) {
        if (!(b === 'core' || rt.startsWith('dashboard/web/') || rt.startsWith('dashboard/contract'))) violations.push(`browser imports beyond core/ and the contract: ${rf} → ${rt}`)
        continue
      }
      if (FLOORS[b] === undefined) continue
      if (FLOORS[b] > FLOORS[a]) violations.push(`upward: ${rf} (${a}) → ${rt} (${b})`)
      else if (a !== b && SERVICES.has(a) && SERVICES.has(b)) violations.push(`sideways between services: ${rf} → ${rt}`)
    }
    graph.set(f, deps)
  }
  // cycles (Tarjan's strongly connected components)
  let index = 0; const idx = new Map(); const low = new Map(); const stack = []; const on = new Set(); const cycles = []
  const strong = v => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))) } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
    }
    if (low.get(v) === idx.get(v)) {
      const comp = []; let w
      do { w = stack.pop(); on.delete(w); comp.push(relative(root, w)) } while (w !== v)
      if (comp.length > 1) cycles.push(comp)
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) strong(v)
  for (const c of cycles) violations.push(`import circle: ${c.join(' → ')}`)
  const ingestLines = walk(join(root, 'ingest')).reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length - 1, 0)
  return { files: files.length, violations, cycles: cycles.length, ingestLines }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = analyse()
  for (const v of r.violations) console.log(v)
  console.log(`check-layers: ${r.files} files, ${r.violations.length} violations, ${r.cycles} circles, ingest/ ${r.ingestLines} lines`)
  process.exit(r.violations.length === 0 && r.ingestLines < 3500 ? 0 : 1)
}
