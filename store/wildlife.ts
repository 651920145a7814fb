import { randomUUID } from 'node:crypto'
import { MimamoriError } from '../core/errors.js'
import type { Detection, Sighting } from '../core/types.js'
import { openParts } from './db.js'
import { STORE_PART } from './schema.js'
import { WILDLIFE_PART } from './wildlife-schema.js'
import { prepareWildlife, type DetectionRow, type Verdict } from './wildlife-statements.js'
import type { AreaShape } from '../core/geofence.js'
import { storeSteps } from './store-error.js'

export interface Hunter { id: string, name: string, contact: string, createdAt: number }
export interface HunterArea { id: string, hunterId: string, name: string, shape: AreaShape, createdAt: number }
export type { Verdict } from './wildlife-statements.js'
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


/**
 * Wildlife tables (their own part, store/wildlife-schema.ts) on the process's
 * shared handle of the embedded file, apart from the Store interface, which
 * stays about readings and images. It reads the store's camera_images (frames
 * not yet analysed), so the store's part is brought up to date too.
 */
export function openWildlifeRepo (file: string): WildlifeRepo {
  const handle = openParts(file, [STORE_PART, WILDLIFE_PART], { what: 'wildlife tables' })
  const db = handle.db
  const q = prepareWildlife(db)
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
    getSighting: id => sightingDoc(q.getSighting.get(id)),
    sightingByAlert: id => sightingDoc(q.sightingByAlert.get(id)),
    sightings ({ cameraId, hunterId, limit }) {
      const rows = cameraId === undefined ? q.sightings.all(hunterId === undefined ? limit : 10_000) : q.sightingsByCamera.all(cameraId, limit)
      let list = rows.map(r => sightingDoc(r)!)
      if (hunterId !== undefined) list = list.filter(s => s.hunters.includes(hunterId)).slice(0, limit)
      return list
    },
    lastSighting: cameraId => sightingDoc(q.lastSighting.get(cameraId)),
    lastAlertingSighting: cameraId => sightingDoc(q.lastAlerting.get(cameraId)),
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

const wrap = storeSteps('')

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
/** a sighting is stored whole, as its JSON document */
function sightingDoc (r: { doc: string } | undefined): Sighting | undefined {
  return r === undefined ? undefined : JSON.parse(r.doc) as Sighting
}
