import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { sleep } from '../lib/net.js'

/** The storm bench's processes: started through a shell to raise the fd limit, their output kept, their CPU and RSS read from /proc. */
export interface Proc { child: ChildProcess, out: string[], exited: Promise<number | null>, name: string }

/** through a shell only to raise the file-descriptor limit (the hard limit of this machine: `ulimit -Hn`) */
export function start (name: string, script: string, args: string[], keep = 400, node: string[] = []): Proc {
  const quoted = [process.execPath, '--max-old-space-size=4096', ...node, script, ...args].map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('/bin/sh', ['-c', `ulimit -n "$(ulimit -Hn)"; exec ${quoted}`], { stdio: ['ignore', 'pipe', 'pipe'] })
  const out: string[] = []
  let rest = ''
  const take = (d: Buffer): void => {
    const lines = (rest + d.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const l of lines) if (l !== '') out.push(l)
    if (out.length > keep * 2) out.splice(0, out.length - keep)
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  return { child, out, name, exited: new Promise(resolve => child.on('exit', resolve)) }
}

export async function waitLine (p: Proc, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (p.out.some(l => re.test(l))) return
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited: ${p.out.slice(-5).join('\n')}`)
    if (Date.now() > deadline) throw new Error(`${p.name}: no ${String(re)} within ${timeoutMs} ms; last: ${p.out.slice(-3).join(' | ')}`)
    await sleep(100)
  }
}

export async function stop (p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null) return
  p.child.kill(signal)
  await Promise.race([p.exited, sleep(60_000)])
  if (p.child.exitCode === null) p.child.kill('SIGKILL')
}

export function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(stat[11]) + Number(stat[12])) / 100
}

export function rssMB (pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024)
}
