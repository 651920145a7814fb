import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMosquitto } from '../helpers/mosquitto.js'
import { takenFirst } from '../helpers/ports.js'
import { listensOn } from '../helpers/proc.js'
import { startRedis } from '../helpers/redis.js'
import { startInfluxDb1, startVictoriaMetrics } from '../helpers/servers.js'

/**
 * The CI flake "address already in use": a port chosen by freePort() is taken
 * by another process before the server binds it. Each helper is handed that
 * taken port first and must come up on a fresh one instead of failing the run.
 */
describe('test servers whose port was lost between choosing and binding', () => {
  let squatter: Server
  let taken = 0

  beforeAll(async () => {
    squatter = createServer()
    await new Promise<void>(resolve => squatter.listen(0, '127.0.0.1', resolve))
    const a = squatter.address()
    taken = typeof a === 'object' && a !== null ? a.port : 0
    expect(listensOn(process.pid, taken)).toBe(true)
  })
  afterAll(async () => { await new Promise<void>(resolve => squatter.close(() => { resolve() })) })

  it('victoria-metrics retries on a fresh port', async () => {
    const vm = await startVictoriaMetrics({ choosePort: takenFirst(taken) })
    try {
      expect(vm.port).not.toBe(taken)
      expect((await fetch(`${vm.url}/health`)).status).toBe(200)
    } finally { await vm.close() }
  })

  it('influxd retries on a fresh port', async () => {
    const db = await startInfluxDb1({ choosePort: takenFirst(taken) })
    try {
      expect(db.port).not.toBe(taken)
      expect((await fetch(`${db.url}/ping`)).status).toBe(204)
    } finally { await db.close() }
  })

  it('redis-server retries on a fresh port', async () => {
    const r = await startRedis({ choosePort: takenFirst(taken) })
    try {
      expect(r.port).not.toBe(taken)
      expect(await r.client.ping()).toBe('PONG')
    } finally { await r.stop() }
  })

  it('mosquitto retries on a fresh port', async () => {
    const m = await startMosquitto([], { choosePort: takenFirst(taken) })
    try {
      expect(m.port).not.toBe(taken)
      expect(listensOn(m.pid, m.port)).toBe(true)
    } finally { await m.stop() }
  })
})
