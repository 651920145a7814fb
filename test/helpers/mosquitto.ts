import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { waitFor } from './app.js'
import { freePort } from './ports.js'

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
export async function startMosquitto (extra: string[] = []): Promise<TestMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-mosquitto-'))
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 100000', ...extra].join('\n') + '\n')
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  await waitFor(async () => await new Promise<true | undefined>(resolve => {
    const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(undefined) })
  }), 'mosquitto listening')
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid,
    async stop () {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
