import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import Database from 'better-sqlite3'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { readDemoConfig, REPO_ROOT, startTestApp, waitFor } from '../helpers/app.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')
const MINUTE = 60_000
const frame = (levelM: number, time: number): Buffer =>
  Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 12, spreadMm: 2, validPings: 20, totalPings: 20, time }))

/**
 * The all-in-one hands ingest topics to the pipeline in-process and writes the device's
 * PUBACK only after the reading is committed (group commit), instead of persisting a
 * session copy for an ingest subscriber. These tests hold it to the same promise.
 */
describe('all-in-one: PUBACK only after the durable write', () => {
  const dirs: string[] = []
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL')
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('every acked frame is in the store when the process is SIGKILLed at the last PUBACK', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-inproc-'))
    dirs.push(dataDir)
    const { stations } = readDemoConfig()
    const file = join(dataDir, 'c.json')
    writeFileSync(file, JSON.stringify({ dataDir, broker: { port: 0, wsPort: 0, allowAnonymous: true }, dashboard: { port: 0 }, sim: { enabled: false }, vision: { enabled: false }, hunters: [], stations, cameras: [] }))
    const child = spawn(process.execPath, [CLI, 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MIMAMORI_LOG__PRETTY: 'false' } })
    children.push(child)
    let out = ''
    child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
    const port = await waitFor(() => /MQTT \(TCP\):\s+\S+\s+port (\d+)/.exec(out)?.[1], 'platform up', 60_000)
    const N = 300
    const s = stations[0]!
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - (N + 5) * MINUTE
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: s.deviceId, reconnectPeriod: 0 })
    // pipelined, as a gateway flushing its backlog does: many in one group commit
    await Promise.all(Array.from({ length: N }, async (_, i) => { await device.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(0.5 + (i % 7) / 100, base + i * MINUTE), { qos: 1 }) }))
    child.kill('SIGKILL')
    await new Promise(resolve => child.once('exit', resolve))
    device.end(true)
    const db = new Database(join(dataDir, 'mimamori.db'), { readonly: true })
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM readings WHERE station_id = ?').get(s.id) as { n: number }).n).toBe(N)
    } finally {
      db.close()
    }
  })

  it('QoS 0 frames are taken ahead of their commit and all stored', async () => {
    const t = await startTestApp()
    try {
      const s = t.config.stations[2]!
      const device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: s.deviceId, reconnectPeriod: 0 })
      const N = 200
      const base = Math.floor(Date.now() / MINUTE) * MINUTE - (N + 5) * MINUTE
      for (let i = 0; i < N; i++) device.publish(`mmr/v1/gauge/${s.deviceId}/up`, frame(0.3 + (i % 9) / 100, base + i * MINUTE), { qos: 0 })
      await device.endAsync() // a graceful end flushes what is queued on the socket
      await waitFor(() => t.app.ingest!.stats.stored === N ? true : undefined, `all ${N} QoS 0 frames stored`)
      expect((await t.app.store!.readings(s.id, { from: 0, to: Date.now(), limit: 1000 })).length).toBe(N)
    } finally {
      await t.close()
    }
  })

  it('a message ingest cannot store is not acknowledged: the device is disconnected and keeps it', async () => {
    const t = await startTestApp()
    try {
      const s = t.config.stations[0]!
      const device = await mqtt.connectAsync(t.info.mqttUrl, { clientId: s.deviceId, reconnectPeriod: 0 })
      const base = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE
      await device.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(0.5, base), { qos: 1 })
      expect(t.app.ingest!.stats.stored).toBe(1)
      // the store goes away under ingest (a disk failure, a locked file…)
      await t.app.store!.close()
      const closed = new Promise<void>(resolve => device.once('close', () => { resolve() }))
      let acked = false
      device.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(0.6, base + MINUTE), { qos: 1 }).then(() => { acked = true }, () => {})
      await closed
      expect(acked).toBe(false)
      // still outstanding on the device, to be sent again after it reconnects
      expect(Object.keys((device as unknown as { outgoing: Record<number, unknown> }).outgoing)).toHaveLength(1)
      await waitFor(() => (t.app.ingest!.stats.rejected.MIMAMORI_ERR_CLOSED ?? 0) >= 1 ? true : undefined, 'refusal counted')
      expect(t.app.ingest!.stats.stored).toBe(1)
      device.end(true)
    } finally {
      await t.close()
    }
  })
})
