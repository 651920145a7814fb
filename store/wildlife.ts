import { randomUUID } from 'node:crypto'
import { MimamoriError } from '../core/errors.js'
import type { Detection, Sighting } from '../core/types.js'
import { openParts } from './db.js'
import { STORE_PART } from './schema.js'
import { WILDLIFE_PART } from './wildlife-schema.js'
import type { AreaShape } from '../core/geofence.js'

export interface Hunter { id: string, name: string, contact: string, createdAt: number }
export interface HunterArea { id: string, hunterId: string, name: string, shape: AreaShape, createdAt: number }
export type Verdict = 'confirm' | 'reject'
export interface Feedback { sightingId: string, hunterId: string, verdict: Verdict, note: string, at: number }
export interface PrecisionRow { cameraId: string, sightings: number, confirmed: number, rejected: number, precision: number | null }

export interface WildlifeRepo {
  writeDetection(d: Detection, analysedAt: number): void
  hasDetection(cameraId: string, time: number, frameIndex: number): boolean
  detections(cameraId: string, from: number, to: number, limit: number): Detection[]
  writeSighting(s: Sighting): void
  getSighting(id: string): Sighting | undefined
  sightingByAlert(alertId: string): Sighting | undefined
  sightings(filter: { cameraId?: string | undefined, hunterId?: string | undefined, limit: number }): Sighting[]
  lastSighting(cameraId: string): Sighting | undefined
  /** the camera's newest sighting that raised an alert (the cooldown runs from it) */
  lastAlertingSighting(cameraId: string): Sighting | undefined
  hasSighting(cameraId: string, burstId: string): boolean
  /** the stored detections of one burst (to resume its vote after a restart) */
  burstDetections(cameraId: string, burstId: string): Detection[]
  /**
   * stored frames of these cameras received since `since` that have no
   * detection row, oldest first, at most `limit` (the newest ones when more),
   * each with the number of stored frames of its burst
   */
  unanalysedImages(cameraIds: string[], since: number, limit: number): Array<{ cameraId: string, time: number, frameIndex: number, burstId: string, receivedAt: number, bytes: number, width: number, height: number, batteryV: number | null, burstFrames: number }>
  addHunter(h: { id?: string | undefined, name: string, contact?: string | undefined }): Hunter
  getHunter(id: string): Hunter | undefined
  listHunters(): Hunter[]
  deleteHunter(id: string): boolean
  addArea(hunterId: string, a: { name?: string | undefined, shape: AreaShape }): HunterArea
  areas(hunterId?: string): HunterArea[]
  deleteArea(hunterId: string, areaId: string): boolean
  putFeedback(f: Feedback): void
  feedback(sightingId: string): Feedback[]
  precision(): { overall: Omit<PrecisionRow, 'cameraId'>, cameras: PrecisionRow[] }
  /** thumbnails and detections of frames older than `before` (for retention) */
  pruneDetections(before: number): number
  /** detection rows of frames whose image file retention deleted */
  forgetFrames(frames: Array<{ cameraId: string, time: number, frameIndex: number }>): number
  /** data-dir relative thumbnail paths retention deleted: sightings that showed them now have none */
  forgetThumbnails(paths: string[]): number
  close(): void
}

interface ImageRow { camera_id: string, time: number, frame_index: number, burst_id: string, received_at: number, bytes: number, width: number, height: number, battery_v: number | null, burst_frames: number }
interface DetectionRow { camera_id: string, time: number, frame_index: number, burst_id: string, positive: number, score: number, label: string, via: string, boxes: string, thumbnail: string | null, error_code: string | null }

/**
 * Wildlife tables (their own part, store/wildlife-schema.ts) on the process's
 * shared handle of the embedded file, apart from the Store interface, which
 * stays about readings and images. It reads the store's camera_images (frames
 * not yet analysed), so the store's part is brought up to date too.
 */
export function openWildlifeRepo (file: string): WildlifeRepo {
  const handle = openParts(file, [STORE_PART, WILDLIFE_PART], { what: 'wildlife tables' })
  const db = handle.db
  const q = {
    insertDetection: db.prepare(`INSERT INTO detections (camera_id, time, frame_index, burst_id, positive, score, label, via, boxes, thumbnail, error_code, analysed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET positive = excluded.positive, score = excluded.score, label = excluded.label,
      via = excluded.via, boxes = excluded.boxes, thumbnail = excluded.thumbnail, error_code = excluded.error_code, analysed_at = excluded.analysed_at`),
    hasDetection: db.prepare<[string, number, number], { n: number }>('SELECT 1 AS n FROM detections WHERE camera_id = ? AND time = ? AND frame_index = ?'),
    detections: db.prepare<[string, number, number, number], DetectionRow>('SELECT * FROM detections WHERE camera_id = ? AND time >= ? AND time <= ? ORDER BY time DESC, frame_index LIMIT ?'),
    upsertSighting: db.prepare('INSERT INTO sightings (id, camera_id, burst_id, time, doc, alert_id, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, alert_id = excluded.alert_id'),
    getSighting: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE id = ?'),
    sightingByAlert: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE alert_id = ? ORDER BY time DESC LIMIT 1'),
    sightings: db.prepare<[number], { doc: string }>('SELECT doc FROM sightings ORDER BY time DESC LIMIT ?'),
    sightingsByCamera: db.prepare<[string, number], { doc: string }>('SELECT doc FROM sightings WHERE camera_id = ? ORDER BY time DESC LIMIT ?'),
    lastSighting: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE camera_id = ? ORDER BY time DESC LIMIT 1'),
    lastAlerting: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE camera_id = ? AND suppressed = 0 ORDER BY time DESC LIMIT 1'),
    hasSighting: db.prepare<[string, string], { n: number }>('SELECT 1 AS n FROM sightings WHERE camera_id = ? AND burst_id = ?'),
    burstDetections: db.prepare<[string, string], DetectionRow>('SELECT * FROM detections WHERE camera_id = ? AND burst_id = ? ORDER BY frame_index'),
    // per camera on the primary key; the burst count looks 10 min either side (bursts last seconds)
    unanalysed: db.prepare<[string, number, number], ImageRow>(`SELECT i.*, (SELECT COUNT(*) FROM camera_images b WHERE b.camera_id = i.camera_id AND b.burst_id = i.burst_id
        AND b.time BETWEEN i.time - 600000 AND i.time + 600000) AS burst_frames
      FROM camera_images i WHERE i.camera_id = ? AND i.received_at >= ?
        AND NOT EXISTS (SELECT 1 FROM detections d WHERE d.camera_id = i.camera_id AND d.time = i.time AND d.frame_index = i.frame_index)
      ORDER BY i.received_at DESC LIMIT ?`),
    forgetFrame: db.prepare('DELETE FROM detections WHERE camera_id = ? AND time = ? AND frame_index = ?'),
    clearSightingThumb: db.prepare("UPDATE sightings SET doc = json_set(doc, '$.thumbnail', NULL) WHERE camera_id = ? AND json_extract(doc, '$.thumbnail') = ?"),
    addHunter: db.prepare('INSERT INTO hunters (id, name, contact, created_at) VALUES (?, ?, ?, ?)'),
    getHunter: db.prepare<[string], { id: string, name: string, contact: string, created_at: number }>('SELECT * FROM hunters WHERE id = ?'),
    listHunters: db.prepare<[], { id: string, name: string, contact: string, created_at: number }>('SELECT * FROM hunters ORDER BY id'),
    deleteHunter: db.prepare('DELETE FROM hunters WHERE id = ?'),
    addArea: db.prepare('INSERT INTO hunter_areas (id, hunter_id, name, shape, created_at) VALUES (?, ?, ?, ?, ?)'),
    areas: db.prepare<[], { id: string, hunter_id: string, name: string, shape: string, created_at: number }>('SELECT * FROM hunter_areas ORDER BY hunter_id, created_at'),
    areasOf: db.prepare<[string], { id: string, hunter_id: string, name: string, shape: string, created_at: number }>('SELECT * FROM hunter_areas WHERE hunter_id = ? ORDER BY created_at'),
    deleteArea: db.prepare('DELETE FROM hunter_areas WHERE hunter_id = ? AND id = ?'),
    putFeedback: db.prepare('INSERT INTO sighting_feedback (sighting_id, hunter_id, verdict, note, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET verdict = excluded.verdict, note = excluded.note, at = excluded.at'),
    feedback: db.prepare<[string], { sighting_id: string, hunter_id: string, verdict: Verdict, note: string, at: number }>('SELECT * FROM sighting_feedback WHERE sighting_id = ? ORDER BY at'),
    // A sighting counts as confirmed if any hunter confirmed it, rejected if hunters only rejected it.
    precision: db.prepare<[], { camera_id: string, sightings: number, confirmed: number, rejected: number }>(`
      SELECT s.camera_id,
             COUNT(*) AS sightings,
             SUM(CASE WHEN f.conf > 0 THEN 1 ELSE 0 END) AS confirmed,
             SUM(CASE WHEN f.conf = 0 AND f.rej > 0 THEN 1 ELSE 0 END) AS rejected
      FROM sightings s
      LEFT JOIN (SELECT sighting_id, SUM(verdict = 'confirm') AS conf, SUM(verdict = 'reject') AS rej FROM sighting_feedback GROUP BY sighting_id) f
        ON f.sighting_id = s.id
      WHERE s.suppressed = 0
      GROUP BY s.camera_id ORDER BY s.camera_id`),
    prune: db.prepare('DELETE FROM detections WHERE time < ?')
  }
  const wrap = <T>(what: string, fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      if (err instanceof MimamoriError) throw err
      throw new MimamoriError('MIMAMORI_ERR_STORE', `${what}: ${(err as Error).message}`, { cause: err })
    }
  }
  const toDetection = (r: DetectionRow): Detection => ({
    cameraId: r.camera_id,
    time: r.time,
    frameIndex: r.frame_index,
    burstId: r.burst_id,
    frameCount: 0,
    positive: r.positive === 1,
    score: r.score,
    label: r.label,
    via: r.via,
    boxes: JSON.parse(r.boxes) as Detection['boxes'],
    thumbnail: r.thumbnail,
    errorCode: r.error_code
  })
  const area = (r: { id: string, hunter_id: string, name: string, shape: string, created_at: number }): HunterArea =>
    ({ id: r.id, hunterId: r.hunter_id, name: r.name, shape: JSON.parse(r.shape) as AreaShape, createdAt: r.created_at })
  const hunter = (r: { id: string, name: string, contact: string, created_at: number }): Hunter => ({ id: r.id, name: r.name, contact: r.contact, createdAt: r.created_at })
  const rate = (c: number, r: number): number | null => c + r === 0 ? null : c / (c + r)

  return {
    writeDetection (d, at) {
      wrap('write detection', () => q.insertDetection.run(d.cameraId, d.time, d.frameIndex, d.burstId, d.positive ? 1 : 0, d.score, d.label, d.via,
        JSON.stringify(d.boxes), d.thumbnail, d.errorCode, at))
    },
    hasDetection: (c, t, f) => wrap('read detection', () => q.hasDetection.get(c, t, f) !== undefined),
    detections: (c, from, to, limit) => wrap('read detections', () => q.detections.all(c, from, to, limit).map(toDetection)),
    writeSighting (s) {
      wrap('write sighting', () => q.upsertSighting.run(s.id, s.cameraId, s.burstId, s.time, JSON.stringify(s), s.alertId, s.suppressed ? 1 : 0))
    },
    getSighting (id) {
      const r = q.getSighting.get(id)
      return r === undefined ? undefined : JSON.parse(r.doc) as Sighting
    },
    sightingByAlert (id) {
      const r = q.sightingByAlert.get(id)
      return r === undefined ? undefined : JSON.parse(r.doc) as Sighting
    },
    sightings ({ cameraId, hunterId, limit }) {
      const rows = cameraId === undefined ? q.sightings.all(hunterId === undefined ? limit : 10_000) : q.sightingsByCamera.all(cameraId, limit)
      let list = rows.map(r => JSON.parse(r.doc) as Sighting)
      if (hunterId !== undefined) list = list.filter(s => s.hunters.includes(hunterId)).slice(0, limit)
      return list
    },
    lastSighting (cameraId) {
      const r = q.lastSighting.get(cameraId)
      return r === undefined ? undefined : JSON.parse(r.doc) as Sighting
    },
    lastAlertingSighting (cameraId) {
      const r = q.lastAlerting.get(cameraId)
      return r === undefined ? undefined : JSON.parse(r.doc) as Sighting
    },
    hasSighting: (c, b) => wrap('read sighting', () => q.hasSighting.get(c, b) !== undefined),
    burstDetections: (c, b) => wrap('read detections', () => q.burstDetections.all(c, b).map(toDetection)),
    unanalysedImages (cameraIds, since, limit) {
      return wrap('read unanalysed images', () => cameraIds.flatMap(c => q.unanalysed.all(c, since, limit))
        .sort((a, b) => b.received_at - a.received_at).slice(0, limit).reverse()
        .map(r => ({ cameraId: r.camera_id, time: r.time, frameIndex: r.frame_index, burstId: r.burst_id, receivedAt: r.received_at, bytes: r.bytes, width: r.width, height: r.height, batteryV: r.battery_v, burstFrames: r.burst_frames })))
    },
    forgetFrames: frames => wrap('forget detections', () => db.transaction(() => frames.reduce((n, f) => n + q.forgetFrame.run(f.cameraId, f.time, f.frameIndex).changes, 0))()),
    forgetThumbnails: paths => wrap('forget thumbnails', () => db.transaction(() => paths.reduce((n, p) => {
      const cameraId = p.split('/')[1] ?? ''
      // detection rows of the same frames were pruned with them (same capture time); sightings are kept
      return n + q.clearSightingThumb.run(cameraId, p).changes
    }, 0))()),
    addHunter ({ id, name, contact }) {
      const h: Hunter = { id: id ?? randomUUID(), name, contact: contact ?? '', createdAt: Date.now() }
      try {
        q.addHunter.run(h.id, h.name, h.contact, h.createdAt)
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `hunter ${h.id} already exists`)
        throw new MimamoriError('MIMAMORI_ERR_STORE', `add hunter: ${(err as Error).message}`, { cause: err })
      }
      return h
    },
    getHunter (id) {
      const r = q.getHunter.get(id)
      return r === undefined ? undefined : hunter(r)
    },
    listHunters: () => q.listHunters.all().map(hunter),
    deleteHunter: id => wrap('delete hunter', () => q.deleteHunter.run(id).changes === 1),
    addArea (hunterId, { name, shape }) {
      const a: HunterArea = { id: randomUUID(), hunterId, name: name ?? '', shape, createdAt: Date.now() }
      wrap('add area', () => q.addArea.run(a.id, hunterId, a.name, JSON.stringify(shape), a.createdAt))
      return a
    },
    areas: hunterId => (hunterId === undefined ? q.areas.all() : q.areasOf.all(hunterId)).map(area),
    deleteArea: (h, a) => wrap('delete area', () => q.deleteArea.run(h, a).changes === 1),
    putFeedback (f) { wrap('store feedback', () => q.putFeedback.run(f.sightingId, f.hunterId, f.verdict, f.note, f.at)) },
    feedback: id => q.feedback.all(id).map(r => ({ sightingId: r.sighting_id, hunterId: r.hunter_id, verdict: r.verdict, note: r.note, at: r.at })),
    precision () {
      const cameras = q.precision.all().map(r => ({ cameraId: r.camera_id, sightings: r.sightings, confirmed: r.confirmed, rejected: r.rejected, precision: rate(r.confirmed, r.rejected) }))
      const sum = (k: 'sightings' | 'confirmed' | 'rejected'): number => cameras.reduce((n, c) => n + c[k], 0)
      return { overall: { sightings: sum('sightings'), confirmed: sum('confirmed'), rejected: sum('rejected'), precision: rate(sum('confirmed'), sum('rejected')) }, cameras }
    },
    pruneDetections: before => wrap('prune detections', () => q.prune.run(before).changes),
    close () { handle.release() }
  }
}
