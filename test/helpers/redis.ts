import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { waitFor } from './app.js'
import { freePort } from './ports.js'

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
export async function startRedis (): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-redis-'))
  const port = await freePort()
  const spawnServer = (): { child: ChildProcess, exited: Promise<void> } => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' })
    return { child, exited: new Promise<void>(resolve => child.once('exit', () => { resolve() })) }
  }
  let server = spawnServer()
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => undefined)
  const ready = async (): Promise<void> => {
    await waitFor(async () => {
      if (client.status !== 'ready' && client.status !== 'connecting' && client.status !== 'reconnecting') await client.connect().catch(() => undefined)
      return (await client.ping()) === 'PONG' ? true : undefined
    }, 'redis-server ready')
  }
  await ready()
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
