import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import sharp from 'sharp'
import Database from 'better-sqlite3'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { encodeUplink } from '../../codecs/gauge-v1.js'
import { encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { encodeCameraDetection } from '../../codecs/camera-detection.js'
import { createBroker, type Broker } from '../../broker/index.js'
import { demoConfigFile, REPO_ROOT, SHARED, waitFor } from '../helpers/app.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')
const MINUTE = 60_000
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'chirpstack', 'up-gauge-v1.json')

interface Worker { child: ChildProcess, out: () => string, exit: Promise<number | null> }

function startWorker (configFile: string): Worker {
  const child = spawn(process.execPath, [CLI, 'ingest', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MIMAMORI_LOG__PRETTY: 'false' } })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exit = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  return { child, out: () => out, exit }
}

/**
 * Cluster mode runs the same pipeline as the all-in-one (ingest/pipeline.ts): 2 brokers on
 * real Redis feed 2 `mimamori ingest` workers, and each kind of message ends stored once
 * with its alert — which the old copy of the router lost (ChirpStack refused as a bad topic,
 * on-device detections never streamed, no rules or wildlife in the worker).
 */
describe('cluster: every kind of message through the one pipeline', () => {
  let redis: TestRedis
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-cluster-pipe-'))
  let config: Config
  const brokers: Broker[] = []
  const workers: Worker[] = []
  const clients: MqttClient[] = []
  let db: Database.Database

  beforeAll(async () => {
    redis = await startRedis()
    const file = join(dataDir, 'cluster.json')
    const demo = loadConfig({ file: demoConfigFile() })
    // 内川 reports through ChirpStack under its DevEUI
    const stations = demo.stations.map(s => s.id === 'uchikawa-oizumi' ? { ...s, devEui: '0004A30B001C2D3E' } : s)
    writeFileSync(file, JSON.stringify({
      dataDir,
      log: { level: 'info' },
      broker: { allowAnonymous: true, persistence: { backend: 'redis' }, cluster: { redisUrl: redis.url, claimIdleMs: 1000 } },
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), workers: 1 },
      wildlife: { minPositiveFrames: 2 },
      stations,
      cameras: demo.cameras
    }))
    config = loadConfig({ file, overrides: { log: { level: 'silent' } } })
    for (const id of ['broker-a', 'broker-b']) {
      const b = createBroker({ config: { ...config, broker: { ...config.broker, id, port: 0, wsPort: 0 } }, logger: silentLogger() })
      await b.start()
      brokers.push(b)
    }
    workers.push(startWorker(file), startWorker(file))
    for (const w of workers) {
      await waitFor(() => w.out().includes('ingest worker consuming') ? true : undefined, 'worker consuming', 90_000)
        .catch((err: unknown) => { throw new Error(`${(err as Error).message}\n${w.out()}`) })
    }
    db = new Database(join(dataDir, config.store.file), { readonly: true, fileMustExist: true })
  }, 180_000)

  afterAll(async () => {
    db?.close()
    for (const c of clients) c.end(true)
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await Promise.all(workers.map(async w => await w.exit))
    for (const b of brokers) await b.close()
    await redis?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const connect = async (i: number, clientId: string): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(brokers[i % 2]!.url, { clientId, reconnectPeriod: 0 })
    clients.push(c)
    return c
  }
  const alertsOf = (subjectId: string, rule: string): Array<{ state: string, occurrences: number }> =>
    db.prepare('SELECT state, occurrences FROM alerts WHERE subject_id = ? AND rule = ?').all(subjectId, rule) as Array<{ state: string, occurrences: number }>
  const count = (sql: string, ...args: unknown[]): number => (db.prepare(sql).get(...args) as { n: number }).n

  it('stores a ChirpStack uplink once under the station of its DevEUI', async () => {
    const ns = await connect(0, 'chirpstack-ns')
    const e = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { deviceInfo: { applicationId: string, devEui: string } }
    const topic = `application/${e.deviceInfo.applicationId}/device/${e.deviceInfo.devEui}/event/up`
    await ns.publishAsync(topic, JSON.stringify(e), { qos: 1 })
    // a repeat of the same event (ChirpStack redelivers) stays one reading
    await ns.publishAsync(topic, JSON.stringify({ ...e, deduplicationId: 'again' }), { qos: 1 })
    const frameTime = Date.parse('2025-06-01T00:00:00Z')
    const n = await waitFor(() => {
      const v = count('SELECT COUNT(*) AS n FROM readings WHERE station_id = ? AND time = ?', 'uchikawa-oizumi', frameTime)
      return v > 0 ? v : undefined
    }, 'ChirpStack reading stored', 30_000)
    expect(n).toBe(1)
    const worker = workers.map(w => w.out()).join('\n')
    expect(worker).not.toContain('MIMAMORI_ERR_BAD_TOPIC')
  })

  it('a gauge frame that crosses 氾濫注意 is stored once and raises one firing alert, whichever worker took it', async () => {
    const s = config.stations.find(x => x.id === 'akagawa-haguro')!
    const gauge = await connect(1, s.deviceId)
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE
    const frame = (levelM: number, time: number): Buffer =>
      Buffer.from(encodeUplink({ mode: 'observe', levelM, batteryV: 3.6, temperatureC: 12, spreadMm: 2, validPings: 20, totalPings: 20, time }))
    // 赤川: 水防団待機 2.0 m, 氾濫注意 2.8 m
    const levels = [1.9, 2.1, 2.3, 2.5, 2.7, 2.85, 2.9]
    for (const [k, level] of levels.entries()) await gauge.publishAsync(`mmr/v1/gauge/${s.deviceId}/up`, frame(level, base + k * 3 * MINUTE), { qos: 1 })
    await waitFor(() => count('SELECT COUNT(*) AS n FROM readings WHERE station_id = ?', s.id) === levels.length ? true : undefined, 'all readings stored', 30_000)
    const caution = await waitFor(() => { const a = alertsOf(s.id, 'threshold.caution'); return a.length > 0 ? a : undefined }, '氾濫注意 alert', 30_000)
    expect(caution).toHaveLength(1)
    expect(caution[0]!.state).toBe('firing')
    expect(alertsOf(s.id, 'threshold.standby')).toHaveLength(1)
  })

  it('a camera burst with 2 of 3 monkey frames becomes one sighting and one alert, even with its frames on both workers', async () => {
    const cameraId = 'cam-yutagawa-01'
    const cam = await connect(0, cameraId)
    const base = Math.floor(Date.now() / 1000) * 1000 - 60_000
    const files = ['monkey_09.jpg', 'none_01.jpg', 'monkey_10.jpg']
    for (const [i, f] of files.entries()) {
      const jpeg = await sharp(join(SHARED, 'images', f)).resize({ width: 1280, height: 1280, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 95 }).toBuffer()
      const payload = encodeCameraEnvelope({ capturedAt: new Date(base + i * 500).toISOString(), burstId: 'cluster-burst-1', frameIndex: i, frameCount: files.length }, jpeg)
      await cam.publishAsync(`mmr/v1/camera/${cameraId}/image`, payload, { qos: 1 })
    }
    await waitFor(() => count('SELECT COUNT(*) AS n FROM detections WHERE camera_id = ? AND burst_id = ?', cameraId, 'cluster-burst-1') === 3 ? true : undefined, 'three frames analysed', 90_000)
    const sightings = await waitFor(() => {
      const n = count('SELECT COUNT(*) AS n FROM sightings WHERE camera_id = ? AND burst_id = ?', cameraId, 'cluster-burst-1')
      return n > 0 ? n : undefined
    }, 'sighting', 30_000)
    expect(sightings).toBe(1)
    expect(count('SELECT COUNT(*) AS n FROM camera_images WHERE camera_id = ? AND burst_id = ?', cameraId, 'cluster-burst-1')).toBe(3)
    const alerts = alertsOf(cameraId, 'sighting')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.state).toBe('firing')
  })

  it('an on-device detection message is streamed, stored once and alerts', async () => {
    const cameraId = 'cam-haguro-01'
    const cam = await connect(1, cameraId)
    const t0 = Date.now() - 30_000
    const thumb = await sharp(join(SHARED, 'images', 'monkey_11.jpg')).resize(160, 160, { fit: 'inside' }).jpeg({ quality: 70 }).toBuffer()
    const frames = [0, 1, 2].map(i => ({ frameIndex: i, capturedAt: new Date(t0 + i * 500).toISOString(), positive: i !== 1, score: i !== 1 ? 0.97 : 0.02, label: 'macaque', via: 'whole' }))
    const payload = encodeCameraDetection({ burstId: 'on-device-1', frameCount: 3, model: 'mobilenetv2-12-int8', thumbnailFrame: 0, frames }, thumb)
    await cam.publishAsync(`mmr/v1/camera/${cameraId}/detection`, payload, { qos: 1 })
    await cam.publishAsync(`mmr/v1/camera/${cameraId}/detection`, payload, { qos: 1 }) // redelivered
    await waitFor(() => count('SELECT COUNT(*) AS n FROM sightings WHERE camera_id = ?', cameraId) > 0 ? true : undefined, 'on-device sighting', 30_000)
    expect(count('SELECT COUNT(*) AS n FROM detections WHERE camera_id = ? AND burst_id = ?', cameraId, 'on-device-1')).toBe(3)
    expect(count('SELECT COUNT(*) AS n FROM sightings WHERE camera_id = ?', cameraId)).toBe(1)
    expect(alertsOf(cameraId, 'sighting')).toEqual([expect.objectContaining({ state: 'firing' })])
  })
})
