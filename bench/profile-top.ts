/**
 * The top of a V8 CPU profile (`--cpu-prof`, or BENCH_PROFILE_DIR of bench/ingest and bench/broker):
 * self time by function and by file / package, from the first sample inside `--from` (the steady state,
 * not the start-up; default: the gauge handler) to the end.
 *
 *   node dist/bench/profile-top.js /tmp/prof/CPU.*.cpuprofile [--from handleGaugeUplink] [--top 30]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string', default: 'handleGaugeUplink' }, top: { type: 'string', default: '30' } }
})

const short = (url: string): string => url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(/.*\/dist\//, '')
const label = (f: CallFrame): string => `${f.functionName === '' ? '(anonymous)' : f.functionName} ${short(f.url)}:${f.lineNumber + 1}`
/** our file, or the package for a dependency, or the V8 / Node bucket ("(garbage collector)") */
const fileOf = (f: CallFrame): string => f.url === '' ? f.functionName : short(f.url).replace(/^nm:((?:@[^/]+\/)?[^/]+)\/.*/, 'nm:$1')

function top (file: string): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inside = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)?.callFrame.functionName === values.from) return true
    return false
  }
  const first = Math.max(0, p.samples.findIndex(inside))
  const self = new Map<string, number>()
  const files = new Map<string, number>()
  let total = 0
  let t = p.startTime
  const times = p.timeDeltas.map(d => (t += d))
  for (let i = first; i < p.samples.length; i++) {
    const dt = (times[i + 1] ?? times[i]!) - times[i]!
    const f = byId.get(p.samples[i]!)!.callFrame
    self.set(label(f), (self.get(label(f)) ?? 0) + dt)
    files.set(fileOf(f), (files.get(fileOf(f)) ?? 0) + dt)
    total += dt
  }
  // "(idle)" is time the thread waited; shares are of the busy time
  const busy = total - (files.get('(idle)') ?? 0)
  const rows = (m: Map<string, number>): string => [...m].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))
    .map(([k, v]) => `${(100 * v / busy).toFixed(1).padStart(5)} % ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n')
  process.stdout.write(`${file}: ${(busy / 1e6).toFixed(2)} s busy from the first sample in ${values.from}\n-- self time by function\n${rows(self)}\n-- self time by file / package\n${rows(files)}\n`)
}

for (const f of positionals) top(f)
