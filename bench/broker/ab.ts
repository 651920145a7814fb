/**
 * Interleaved A/B of broker builds (bench/README.md, "bench/broker"): the variants
 * take turns round by round under the same load, so a machine that drifts (shared
 * CPUs) moves all of them alike; the median round of each is reported, with the
 * broker's CPU time per message (utime + stime from just before the load generator
 * connects to its exit: connections, warm-up and measured messages), which the
 * noise moves much less than msg/s.
 *
 *   node dist/bench/broker/ab.js --qos 0 --rounds 5 \
 *     --variant before=/tmp/old/dist/cli/main.js --variant after=dist/cli/main.js \
 *     --variant mosquitto --variant aedes
 *
 * A variant is `label=path/to/cli/main.js` (`mimamori broker`, memory persistence,
 * anonymous on, as in run.ts), `mosquitto` (persistence off, no inflight window) or
 * `aedes` (Aedes alone, bench/broker/bare-aedes.ts). Broker on CPU 0, generator on
 * CPU 1 when taskset and 2 CPUs are there. Prints a JSON summary and a table.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { LoadResult } from './load.js'
import { benchArgs, brokerLoadDefaults, canPin, pinnedCommand } from '../lib/args.js'
import { freePort, waitPort } from '../lib/net.js'

const values = benchArgs({ ...brokerLoadDefaults, variant: [] as string[], qos: '0', rounds: '5' })
const QOS = Number(values.qos) === 1 ? 1 : 0
const ROUNDS = Math.max(1, Number(values.rounds))
const PIN = canPin(values.pin !== 'false')
const TICK_US = 1e6 / 100 // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

interface Started { port: number, pid: number, stop(): Promise<void> }
interface Variant { label: string, start(): Promise<Started> }

const pinned = (cpu: number, file: string, args: string[]): [string, string[]] => pinnedCommand(PIN, cpu, file, args)

function spawnBroker (file: string, args: string[], env: NodeJS.ProcessEnv, dir: string): ChildProcess {
  const [f, a] = pinned(0, file, args)
  const child = spawn(f, a, { stdio: 'ignore', env: { ...process.env, ...env } })
  child.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
  return child
}

function stopper (child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}

/** a broker in its own process on a free port, its scratch folder removed when it exits */
async function startBroker (tmpPrefix: string, command: (port: number, dir: string) => { file: string, args: string[], env?: NodeJS.ProcessEnv }): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix))
  const port = await freePort()
  const { file, args, env } = command(port, dir)
  const child = spawnBroker(file, args, env ?? {}, dir)
  await waitPort(port)
  return { port, pid: child.pid!, stop: stopper(child) }
}

function variant (spec: string): Variant {
  if (spec === 'mosquitto') {
    return {
      label: 'mosquitto',
      start: async () => await startBroker('ab-mosquitto-', (port, dir) => {
        const conf = join(dir, 'mosquitto.conf')
        writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 1000000', 'max_inflight_messages 0', ''].join('\n'))
        return { file: 'mosquitto', args: ['-c', conf] }
      })
    }
  }
  if (spec === 'aedes') {
    return {
      label: 'aedes (bare)',
      start: async () => await startBroker('ab-aedes-', port => ({ file: process.execPath, args: [join(import.meta.dirname, 'bare-aedes.js'), '--port', String(port)] }))
    }
  }
  const eq = spec.indexOf('=')
  if (eq < 1) throw new Error(`--variant ${spec}: expected label=path/to/cli/main.js, mosquitto or aedes`)
  const label = spec.slice(0, eq)
  const cli = resolve(spec.slice(eq + 1))
  return {
    label,
    start: async () => await startBroker('ab-mimamori-', (port, dir) => ({
      file: process.execPath,
      args: [cli, 'broker'],
      env: {
        MIMAMORI_DATA_DIR: dir,
        MIMAMORI_LOG__LEVEL: 'warn',
        MIMAMORI_BROKER__PORT: String(port),
        MIMAMORI_BROKER__WS_PORT: '0',
        MIMAMORI_BROKER__ALLOW_ANONYMOUS: 'true',
        MIMAMORI_BROKER__PERSISTENCE__BACKEND: 'memory'
      }
    }))
  }
}

/** utime + stime of a process, in µs */
function cpuUs (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_US
}

async function round (v: Variant): Promise<LoadResult & { cpuUsPerMsg: number }> {
  const server = await v.start()
  try {
    const before = cpuUs(server.pid)
    const [file, args] = pinned(1, process.execPath, [join(import.meta.dirname, 'load.js'), '--url', `mqtt://127.0.0.1:${server.port}`, '--qos', String(QOS),
      '--messages', values.messages, '--publishers', values.publishers, '--warmup', values.warmup])
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
    const used = cpuUs(server.pid) - before
    if (code !== 0) throw new Error(`load generator exited with ${code}`)
    const r = JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult
    const total = Number(values.messages) + Number(values.warmup)
    return { ...r, cpuUsPerMsg: Math.round(used / total * 10) / 10 }
  } finally {
    await server.stop()
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

async function main (): Promise<void> {
  const variants = values.variant.map(variant)
  if (variants.length === 0) throw new Error('no --variant given')
  const rounds = new Map<string, Array<LoadResult & { cpuUsPerMsg: number }>>(variants.map(v => [v.label, []]))
  for (let i = 0; i < ROUNDS; i++) {
    // rotate the starting variant so none always runs first (or right after the same neighbour)
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(i + k) % variants.length]!
      const r = await round(v)
      process.stderr.write(`${v.label} QoS ${QOS} round ${i + 1}: ${r.msgsPerS} msg/s, ${r.cpuUsPerMsg} µs/msg, p99 ${r.p99Ms} ms\n`)
      rounds.get(v.label)!.push(r)
    }
  }
  const summary = variants.map(v => {
    const rs = rounds.get(v.label)!
    return { label: v.label, msgsPerS: Math.round(median(rs.map(r => r.msgsPerS))), cpuUsPerMsg: Math.round(median(rs.map(r => r.cpuUsPerMsg)) * 10) / 10, p99Ms: median(rs.map(r => r.p99Ms)), runs: rs.map(r => r.msgsPerS), cpu: rs.map(r => r.cpuUsPerMsg) }
  })
  const mosq = summary.find(s => s.label === 'mosquitto')
  process.stdout.write(JSON.stringify({ qos: QOS, rounds: ROUNDS, messages: Number(values.messages), pinned: PIN, node: process.version, summary }, null, 2) + '\n')
  process.stdout.write(['', `| variant (QoS ${QOS}) | msg/s (median of ${ROUNDS}) | CPU µs/msg | p99 ms | msg/s ÷ Mosquitto |`, '|---|---|---|---|---|',
    ...summary.map(s => `| ${s.label} | ${s.msgsPerS} | ${s.cpuUsPerMsg} | ${s.p99Ms} | ${mosq === undefined ? '–' : (Math.round(s.msgsPerS / mosq.msgsPerS * 100) / 100) + '×'} |`), ''].join('\n'))
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`ab failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
