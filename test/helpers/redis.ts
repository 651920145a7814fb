import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { waitFor } from './app.js'
import { onFreshPort } from './ports.js'
import { listensOn } from './proc.js'

export interface TestRedis {
  url: string
  port: number
  /** a client for assertions; closed by stop() */
  client: Redis
  /** stops redis-server (clients see the outage) … */
  down(): Promise<void>
  /** … and starts a fresh one on the same port (data gone: no persistence files) */
  up(): Promise<void>
  stop(): Promise<void>
}

/** A real redis-server (Debian package) on a loopback port with a throwaway dir, no persistence files kept. */
export async function startRedis (options: { choosePort?: () => Promise<number> } = {}): Promise<TestRedis> {
  return await onFreshPort('redis-server', startRedisOn, options.choosePort)
}

interface RedisProcess { child: ChildProcess, exited: Promise<void>, output: () => string }

async function startRedisOn (port: number): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-redis-'))
  const spawnServer = (): RedisProcess => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-4000) }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    return { child, exited: new Promise<void>(resolve => child.once('exit', () => { resolve() })), output: () => output }
  }
  let server = spawnServer()
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => undefined)
  const ready = async (): Promise<void> => {
    const s = server
    // the port is ours only when this redis-server holds it (a lost port may be answered by another one)
    const ours = waitFor(async () => {
      if (!listensOn(s.child.pid, port)) return undefined
      if (client.status !== 'ready' && client.status !== 'connecting' && client.status !== 'reconnecting') await client.connect().catch(() => undefined)
      return (await client.ping()) === 'PONG' ? true : undefined
    }, 'redis-server ready')
    const died = s.exited.then(() => { throw new Error(`redis-server exited during start: ${s.output()}`) })
    await Promise.race([ours, died])
  }
  try {
    await ready()
  } catch (err) {
    client.disconnect()
    server.child.kill('SIGTERM')
    await server.exited
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client,
    async down () {
      server.child.kill('SIGTERM')
      await server.exited
    },
    async up () {
      server = spawnServer()
      await ready()
    },
    async stop () {
      client.disconnect()
      server.child.kill('SIGTERM')
      await server.exited
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
