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
  stop(): Promise<void>
}

/** A real redis-server (Debian package) on a loopback port with a throwaway dir, no persistence files kept. */
export async function startRedis (): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-redis-'))
  const port = await freePort()
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => undefined)
  await waitFor(async () => {
    if (client.status !== 'ready') await client.connect().catch(() => undefined)
    return (await client.ping()) === 'PONG' ? true : undefined
  }, 'redis-server ready')
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client,
    async stop () {
      client.disconnect()
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
