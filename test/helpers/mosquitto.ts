import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './app.js'
import { onFreshPort } from './ports.js'
import { listensOn } from './proc.js'

export interface ClientRun {
  child: ChildProcess
  out: () => string
  err: () => string
  exit: Promise<number | null>
}

/** Runs Debian's mosquitto_pub / mosquitto_sub (real third-party MQTT clients) and collects output. */
export function mosquittoClient (bin: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): ClientRun {
  // stdbuf: the clients block-buffer stdout into a pipe; the tests read it line by line as it happens
  const child = spawn('stdbuf', ['-oL', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const exit = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  return { child, out: () => out, err: () => err, exit }
}

/** mosquitto_pub to completion; rejects with its stderr when it fails. */
export async function mosquittoPub (args: string[]): Promise<void> {
  const r = mosquittoClient('mosquitto_pub', args)
  const code = await r.exit
  if (code !== 0) throw new Error(`mosquitto_pub ${args.join(' ')} exited ${String(code)}: ${r.err()}`)
}

export interface TestMosquitto {
  port: number
  url: string
  pid: number | undefined
  stop(): Promise<void>
}

/** The Mosquitto broker itself (for side-by-side benchmarks): loopback, anonymous, no persistence. */
export async function startMosquitto (extra: string[] = [], options: { choosePort?: () => Promise<number> } = {}): Promise<TestMosquitto> {
  return await onFreshPort('mosquitto', async port => await startMosquittoOn(port, extra), options.choosePort)
}

async function startMosquittoOn (port: number, extra: string[]): Promise<TestMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-mosquitto-'))
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 100000', ...extra].join('\n') + '\n')
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-4000) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await Promise.race([
      // listening, and the listener is this mosquitto's (not whoever took a lost port)
      waitFor(() => listensOn(child.pid, port) ? true : undefined, 'mosquitto listening'),
      exited.then(() => { throw new Error(`mosquitto exited during start: ${output}`) })
    ])
  } catch (err) {
    await stop()
    throw err
  }
  return { port, url: `mqtt://127.0.0.1:${port}`, pid: child.pid, stop }
}
