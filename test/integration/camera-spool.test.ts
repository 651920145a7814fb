import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { openCameraSpool } from '../../edge/camera/spool.js'
import { silentLogger, type Logger } from '../../core/logger.js'
import { createSimulatedCamera, type SimulatedCamera } from '../../simulators/camera-device.js'
import { SHARED, startTestApp, waitFor, type TestApp } from '../helpers/app.js'
import { startTcpLink } from '../helpers/servers.js'

const img = (name: string): string => join(SHARED, 'images', name)

/** a pino logger whose lines the test can read */
function capturingLogger (): { logger: Logger, lines: () => Array<Record<string, unknown>> } {
  const out: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, cb) { out.push(chunk.toString()); cb() } })
  return { logger: pino({ level: 'info' }, stream) as Logger, lines: () => out.join('').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Record<string, unknown>) }
}

/**
 * The camera's disk spool against the real broker and ingest, through a TCP
 * link the test cuts: bursts taken while the link is down wait on disk, the
 * oldest burst is dropped (counted, logged) when the spool is full, and the
 * rest arrive after the link is back, filed under their original capture time.
 */
describe('camera store-and-forward on disk', () => {
  let t: TestApp
  let link: Awaited<ReturnType<typeof startTcpLink>>
  let cam: SimulatedCamera
  let spoolDir: string
  const log = capturingLogger()

  beforeAll(async () => {
    // detection off: this is about transport; the images are stored either way
    t = await startTestApp({ vision: { enabled: false } })
    link = await startTcpLink(t.info.mqttPort)
    spoolDir = mkdtempSync(join(tmpdir(), 'mimamori-spool-'))
    const camera = t.config.cameras.find(c => c.id === 'cam-yutagawa-01')!
    // room for 7 frames: three 3-frame bursts do not fit, so the oldest burst must go
    cam = createSimulatedCamera({ camera, mqttUrl: link.url, logger: log.logger, spoolDir, spoolMaxMessages: 7, publishTimeoutMs: 2000, jpeg: { maxSide: 320, quality: 70 } })
    await cam.connect()
  })

  afterAll(async () => {
    await cam?.close()
    await link?.close()
    await t?.close()
    rmSync(spoolDir, { recursive: true, force: true })
  })

  const stored = (): string[] => {
    try {
      return readdirSync(join(t.dataDir, 'images', 'cam-yutagawa-01')).sort()
    } catch {
      return []
    }
  }

  it('spools bursts while the link is down, drops the oldest burst with a logged count, and delivers the rest with their capture times', async () => {
    const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000
    await cam.burstOf([img('none_01.jpg'), img('none_02.jpg')], base)
    await waitFor(() => stored().length === 2 ? true : undefined, 'online burst stored')
    expect(cam.spool!.size).toBe(0)

    await link.cut()
    await waitFor(() => !cam.connected ? true : undefined, 'camera sees the link down')
    const offline = [base + 60_000, base + 120_000, base + 180_000]
    for (const time of offline) await cam.burstOf([img('none_03.jpg'), img('none_04.jpg'), img('none_05.jpg')], time)
    // 9 frames taken, 7 fit: the first offline burst (3 frames) was dropped whole, 6 wait on disk
    expect(cam.spool!.size).toBe(6)
    expect(readdirSync(spoolDir).filter(f => f.endsWith('.msg'))).toHaveLength(6)
    expect(cam.spool!.stats).toMatchObject({ spooled: 9, dropped: 3, droppedBursts: 1, droppedFrom: offline[0], droppedTo: offline[0]! + 1000 })
    const drop = log.lines().find(l => l.msg === 'camera spool full: oldest burst dropped')
    expect(drop).toMatchObject({ messages: 3, capturedFrom: new Date(offline[0]!).toISOString(), droppedTotal: 3 })
    expect(stored()).toHaveLength(2)

    await link.restore()
    await waitFor(() => cam.spool!.size === 0 ? true : undefined, 'spool delivered after reconnect', 30_000)
    const files = await waitFor(() => { const f = stored(); return f.length === 8 ? f : undefined }, 'spooled frames stored')
    // filed under the original capture time and frame, not the arrival time
    const expected = [base, base + 500, ...offline.slice(1).flatMap(tm => [tm, tm + 500, tm + 1000])]
    expect(files.map(f => Number(f.split('-')[0])).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b))
    expect(files.filter(f => f.startsWith(`${offline[0]}-`))).toEqual([])
    expect(readdirSync(spoolDir).filter(f => f.endsWith('.msg'))).toHaveLength(0)
    const summary = log.lines().find(l => l.msg === 'camera spool delivered')
    expect(summary).toMatchObject({ delivered: 6, droppedWhileOffline: 3, droppedTotal: 3 })
  })

  it('keeps spooled messages across a restart of the camera and bounds them by bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mimamori-spool-'))
    try {
      const a = openCameraSpool({ dir, maxBytes: 2500, maxMessages: 100, logger: silentLogger() })
      for (let i = 0; i < 3; i++) await a.put('mmr/v1/camera/x/image', Buffer.alloc(1000, i), { capturedAt: 1_000 + i, burstId: `b${i}` })
      // 3 × ~1 kB exceed 2.5 kB: the oldest burst went
      expect(a.size).toBe(2)
      expect(a.stats.dropped).toBe(1)
      const b = openCameraSpool({ dir, maxBytes: 2500, maxMessages: 100, logger: silentLogger() })
      expect(b.list().map(m => m.capturedAt)).toEqual([1_001, 1_002])
      const got: number[] = []
      let fail = true
      // a failed send keeps the message first in line
      expect(await b.flush(async () => { if (fail) throw new Error('down') })).toBe(0)
      expect(b.size).toBe(2)
      fail = false
      expect(await b.flush(async (topic, payload) => { expect(topic).toBe('mmr/v1/camera/x/image'); got.push(payload[0]!) })).toBe(2)
      expect(got).toEqual([1, 2])
      expect(readdirSync(dir)).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
