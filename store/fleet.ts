import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import { MimamoriError } from '../core/errors.js'
import type { Camera, Station, Thresholds } from '../core/types.js'
import { OUR_FRAME_PROFILE, type FleetEntry, type FleetKind, type FleetState, type ThresholdRevision } from '../core/fleet/types.js'
import { problem, problemText, thresholdProblem, type FieldProblem } from '../core/fleet/validate.js'
import { migrateParts, type PartSchema } from './parts.js'

/**
 * The fleet registry: stations, cameras and thresholds as data in the embedded
 * file. The station/camera documents stay in `stations` / `cameras` (every
 * reader already looks there); this part adds who/what/since per device
 * (`fleet_devices`), the effective-dated threshold history (`fleet_thresholds`,
 * append-only: a revision is valid from its validFrom until the next one, so a
 * revision never rewrites what applied before it) and the trail-camera intake
 * secrets (`fleet_intake`).
 */
export const FLEET_PART: PartSchema = {
  part: 'fleet',
  migrations: [{
    version: 1,
    up: `CREATE TABLE fleet_devices (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     state TEXT NOT NULL,
     state_since INTEGER NOT NULL,
     state_by TEXT NOT NULL,
     state_reason TEXT,
     profile TEXT NOT NULL,
     origin TEXT NOT NULL,
     seed_hash TEXT,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (kind, id)
   );
   CREATE TABLE fleet_thresholds (
     station_id TEXT NOT NULL,
     revision INTEGER NOT NULL,
     valid_from INTEGER NOT NULL,
     doc TEXT NOT NULL,
     source TEXT NOT NULL,
     by TEXT NOT NULL,
     reason TEXT,
     recorded_at INTEGER NOT NULL,
     PRIMARY KEY (station_id, revision)
   );
   CREATE TABLE fleet_intake (
     camera_id TEXT PRIMARY KEY,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );`
  }, {
    version: 2,
    // One counter every write to the registry's tables bumps, whichever process makes it. Readers
    // rebuild their station caches when it moved (store/embedded.ts), not on every commit to the
    // file: the device registry's last-seen batch, alerts and notifications commit every few
    // seconds, and a rebuild of 10 000 stations cost ~0.5 s of CPU each time (bench/storm profile).
    up: `CREATE TABLE registry_version (one INTEGER PRIMARY KEY CHECK (one = 1), v INTEGER NOT NULL);
    INSERT INTO registry_version (one, v) VALUES (1, 0);
    ${['stations', 'cameras', 'fleet_devices', 'fleet_thresholds'].map(t => ['INSERT', 'UPDATE', 'DELETE'].map(op =>
      `CREATE TRIGGER ${t}_${op.toLowerCase()}_bumps_registry AFTER ${op} ON ${t} BEGIN UPDATE registry_version SET v = v + 1 WHERE one = 1; END;`).join('\n')).join('\n')}`
  }]
}

/** the registry's change counter (bumped by triggers on its tables), for readers' cache checks */
export function registryVersionReader (db: Database.Database): () => number {
  const stmt = db.prepare<[], { v: number }>('SELECT v FROM registry_version WHERE one = 1')
  return () => stmt.get()?.v ?? 0
}

export interface ThresholdInput {
  thresholds: Thresholds
  source: string
  by: string
  reason?: string | null | undefined
  /** ms; default now. Earlier than now (1 min grace) is refused: a revision never rewrites the past */
  validFrom?: number | undefined
}

export interface SeedResult { added: string[], updated: string[], kept: string[] }

export interface FleetRegistry {
  entry(kind: FleetKind, id: string): FleetEntry | undefined
  entries(): FleetEntry[]
  /** the revision in force at `time` (ms); undefined for a station with no history (a bare saveStations) */
  thresholdsAt(stationId: string, time: number): ThresholdRevision | undefined
  /** oldest first */
  history(stationId: string): ThresholdRevision[]
  commissionStation(station: Station, o: { by: string, source: string, profile?: string | undefined }): Station
  commissionCamera(camera: Camera, o: { by: string, profile?: string | undefined }): Camera
  reviseThresholds(stationId: string, input: ThresholdInput): ThresholdRevision
  /** a new document for an existing station or camera (name, place, device …); thresholds and state are changed by their own calls */
  updateStation(station: Station): void
  updateCamera(camera: Camera): void
  setState(kind: FleetKind, id: string, state: FleetState, o: { by: string, reason?: string | null | undefined }): FleetEntry
  /** the configuration file's stations and cameras: added when new, applied when their entry changed since the last seed, else kept */
  seed(fleet: { stations: Station[], cameras: Camera[] }): SeedResult
  setIntakeSecretHash(cameraId: string, hash: string): void
  intakeSecretHash(cameraId: string): string | undefined
}

interface DeviceRow { kind: string, id: string, state: string, state_since: number, state_by: string, state_reason: string | null, profile: string, origin: string, seed_hash: string | null, created_at: number }
interface RevisionRow { station_id: string, revision: number, valid_from: number, doc: string, source: string, by: string, reason: string | null, recorded_at: number }

/** one minute for clocks that disagree between the browser and the server */
const PAST_GRACE_MS = 60_000

export function validationError (p: FieldProblem): MimamoriError {
  return new MimamoriError('MIMAMORI_ERR_VALIDATION', problemText(p), { details: { ...p } })
}

/**
 * `onWrite` runs after every committed change (the embedded store refreshes its
 * caches); `clock` is the wall clock for validFrom and state times.
 */
export function createFleetRegistry (db: Database.Database, { onWrite, clock = Date.now }: { onWrite: () => void, clock?: () => number }): FleetRegistry {
  migrateParts(db, [FLEET_PART])
  const s = prepare(db)

  // revisions per station, oldest first: thresholdsAt runs once per reading
  let byStation = new Map<string, ThresholdRevision[]>()
  const loadRevisions = (): void => {
    const next = new Map<string, ThresholdRevision[]>()
    for (const row of s.allRevisions.all()) {
      const list = next.get(row.station_id) ?? []
      list.push(toRevision(row))
      next.set(row.station_id, list)
    }
    byStation = next
  }
  loadRevisions()
  const changed = (): void => {
    loadRevisions()
    onWrite()
  }

  const appendRevision = (stationId: string, t: Thresholds, o: { source: string, by: string, reason?: string | null | undefined, validFrom: number }): ThresholdRevision => {
    const rows = s.revisions.all(stationId)
    const last = rows.at(-1)
    const revision = (last?.revision ?? 0) + 1
    s.insertRevision.run(stationId, revision, o.validFrom, JSON.stringify(cleanThresholds(t)), o.source, o.by, o.reason ?? null, clock())
    return toRevision(s.revisions.all(stationId).at(-1)!)
  }

  const registry: FleetRegistry = {
    entry (kind, id) {
      const row = s.entry.get(kind, id)
      return row === undefined ? undefined : toEntry(row)
    },
    entries: () => s.entries.all().map(toEntry),
    thresholdsAt (stationId, time) {
      const list = byStation.get(stationId)
      if (list === undefined || list.length === 0) return undefined
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.validFrom <= time) return list[i]
      return list[0]
    },
    history: stationId => [...(byStation.get(stationId) ?? [])],
    commissionStation (station, o) {
      ensureValid(station.thresholds)
      requireSource(o.source)
      db.transaction(() => { insertStation(s, appendRevision, station, o, clock()) }).immediate()
      changed()
      return station
    },
    commissionCamera (camera, o) {
      db.transaction(() => { insertCamera(s, camera, o, clock()) }).immediate()
      changed()
      return camera
    },
    reviseThresholds (stationId, input) {
      ensureValid(input.thresholds)
      requireSource(input.source)
      const now = clock()
      const asked = input.validFrom ?? now
      if (!Number.isFinite(asked) || asked < now - PAST_GRACE_MS) {
        throw validationError(problem('validFrom', '過去の日時は指定できません (過去の警報の基準は変わりません)', 'cannot be in the past (what applied to earlier readings never changes)'))
      }
      const validFrom = Math.max(asked, now)
      const rev = db.transaction(() => {
        if (s.station.get(stationId) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${stationId}`)
        const last = s.revisions.all(stationId).at(-1)
        if (last !== undefined && validFrom <= last.valid_from) {
          throw validationError(problem('validFrom', '最新の改定より後の日時にしてください', 'must be after the latest revision'))
        }
        return appendRevision(stationId, input.thresholds, { ...input, validFrom })
      }).immediate()
      changed()
      return rev
    },
    updateStation (station) {
      const row = s.station.get(station.id)
      if (row === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station ${station.id}`)
      const other = s.stationByDevice.get(station.deviceId)
      if (other !== undefined && other.id !== station.id) throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `device "${station.deviceId}" already reports for ${other.id}`, { details: { ...problem('deviceId', 'この機器IDは使用中です', 'this device id is in use') } })
      const doc: Station = { ...station, thresholds: (JSON.parse(row.doc) as Station).thresholds }
      delete doc.state
      s.upsertStation.run(doc.id, doc.deviceId, JSON.stringify(doc), clock())
      changed()
    },
    updateCamera (camera) {
      if (s.camera.get(camera.id) === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no camera ${camera.id}`)
      const doc: Camera = { ...camera }
      delete doc.state
      s.upsertCamera.run(doc.id, JSON.stringify(doc), clock())
      changed()
    },
    setState (kind, id, state, o) {
      const row = s.entry.get(kind, id)
      const doc = kind === 'gauge' ? s.station.get(id) : s.camera.get(id)
      if (doc === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no ${kind === 'gauge' ? 'station' : 'camera'} ${id}`)
      const now = clock()
      db.transaction(() => {
        if (row === undefined) s.insertEntry.run(kind, id, now, o.by, kind === 'gauge' ? OUR_FRAME_PROFILE : 'mimamori-camera-v1', 'config', null, now)
        else if (row.state === 'retired' && state !== 'retired') {
          throw new MimamoriError('MIMAMORI_ERR_DEVICE_RETIRED', `${id} is retired; commission a new device instead`)
        }
        s.setState.run(state, now, o.by, o.reason ?? null, kind, id)
      }).immediate()
      changed()
      return toEntry(s.entry.get(kind, id)!)
    },
    seed (input) {
      const out = seedAll(db, s, appendRevision, input, clock())
      changed()
      return out
    },
    setIntakeSecretHash (cameraId, hash) {
      s.setIntake.run(cameraId, hash, clock())
    },
    intakeSecretHash: cameraId => s.intake.get(cameraId)?.secret_hash
  }
  return registry
}

function differs (t: Thresholds, row: RevisionRow): boolean {
  return JSON.stringify(cleanThresholds(t)) !== JSON.stringify(JSON.parse(row.doc))
}

function seedHash (doc: object): string {
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex')
}

/** only the six MLIT keys, in one order, so equal thresholds compare equal */
export function cleanThresholds (t: Thresholds): Thresholds {
  return {
    ...(t.observationStart === undefined || t.observationStart === null ? {} : { observationStart: t.observationStart }),
    standby: t.standby,
    caution: t.caution,
    evacuationJudgement: t.evacuationJudgement,
    danger: t.danger,
    flooding: t.flooding
  }
}

function toRevision (r: RevisionRow): ThresholdRevision {
  return { stationId: r.station_id, revision: r.revision, validFrom: r.valid_from, thresholds: JSON.parse(r.doc) as Thresholds, source: r.source, by: r.by, reason: r.reason, recordedAt: r.recorded_at }
}

function toEntry (r: DeviceRow): FleetEntry {
  return { kind: r.kind as FleetKind, id: r.id, state: r.state as FleetState, stateSince: r.state_since, stateBy: r.state_by, stateReason: r.state_reason, profile: r.profile, origin: r.origin as FleetEntry['origin'], createdAt: r.created_at }
}

/** every statement of the fleet part (and the store's documents it keeps), prepared once */
function prepare (db: Database.Database) {
  return {
    entry: db.prepare<[string, string], DeviceRow>('SELECT * FROM fleet_devices WHERE kind = ? AND id = ?'),
    entries: db.prepare<[], DeviceRow>('SELECT * FROM fleet_devices ORDER BY kind, id'),
    insertEntry: db.prepare('INSERT INTO fleet_devices (kind, id, state, state_since, state_by, state_reason, profile, origin, seed_hash, created_at) VALUES (?, ?, \'active\', ?, ?, NULL, ?, ?, ?, ?)'),
    setSeedHash: db.prepare('UPDATE fleet_devices SET seed_hash = ? WHERE kind = ? AND id = ?'),
    setState: db.prepare('UPDATE fleet_devices SET state = ?, state_since = ?, state_by = ?, state_reason = ? WHERE kind = ? AND id = ?'),
    revisions: db.prepare<[string], RevisionRow>('SELECT * FROM fleet_thresholds WHERE station_id = ? ORDER BY revision'),
    allRevisions: db.prepare<[], RevisionRow>('SELECT * FROM fleet_thresholds ORDER BY station_id, revision'),
    insertRevision: db.prepare('INSERT INTO fleet_thresholds (station_id, revision, valid_from, doc, source, by, reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    station: db.prepare<[string], { doc: string }>('SELECT doc FROM stations WHERE id = ?'),
    stationByDevice: db.prepare<[string], { id: string }>('SELECT id FROM stations WHERE device_id = ?'),
    releaseDevice: db.prepare('UPDATE stations SET device_id = ? WHERE id = ?'),
    upsertStation: db.prepare('INSERT INTO stations (id, device_id, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET device_id = excluded.device_id, doc = excluded.doc, updated_at = excluded.updated_at'),
    camera: db.prepare<[string], { doc: string }>('SELECT doc FROM cameras WHERE id = ?'),
    upsertCamera: db.prepare('INSERT INTO cameras (id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at'),
    setIntake: db.prepare('INSERT INTO fleet_intake (camera_id, secret_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET secret_hash = excluded.secret_hash'),
    intake: db.prepare<[string], { secret_hash: string }>('SELECT secret_hash FROM fleet_intake WHERE camera_id = ?')
  }
}

type Statements = ReturnType<typeof prepare>
type AppendRevision = (stationId: string, t: Thresholds, o: { source: string, by: string, reason?: string | null | undefined, validFrom: number }) => ThresholdRevision

/**
 * The configuration file's stations and cameras into the registry, in one transaction: an entry is
 * added when new and applied when it changed since the file last set it (seed_hash); otherwise what
 * staff changed on the fleet page stands.
 */
function seedAll (db: Database.Database, s: Statements, appendRevision: AppendRevision, { stations, cameras }: { stations: Station[], cameras: Camera[] }, now: number): SeedResult {
  const out: SeedResult = { added: [], updated: [], kept: [] }
  db.transaction(() => {
    for (const st of stations) {
      const hash = seedHash(st)
      const row = s.entry.get('gauge', st.id)
      if (row !== undefined && row.seed_hash === hash) { out.kept.push(st.id); continue }
      // the file moved this device to another station id: the old station is retired (its data stays)
      for (const other of s.stationByDevice.all(st.deviceId)) {
        if (other.id === st.id) continue
        const entry = s.entry.get('gauge', other.id)
        if (entry === undefined) s.insertEntry.run('gauge', other.id, now, 'config', OUR_FRAME_PROFILE, 'config', null, now)
        if (entry?.state !== 'retired') s.setState.run('retired', now, 'config', `device ${st.deviceId} moved to ${st.id}`, 'gauge', other.id)
        // the column is unique: the retired row lets go of the device id (its document still names it)
        s.releaseDevice.run(`${st.deviceId}#retired#${other.id}`, other.id)
      }
      const revisions = s.revisions.all(st.id)
      const before = revisions.at(-1)
      // the file's thresholds win only when they changed since the file last set them: an edit on the fleet page survives restarts
      const lastFromFile = revisions.filter(r => r.by === 'config').at(-1)
      s.upsertStation.run(st.id, st.deviceId, JSON.stringify({ ...st, profile: st.profile ?? row?.profile ?? OUR_FRAME_PROFILE }), now)
      if (row === undefined) s.insertEntry.run('gauge', st.id, now, 'config', st.profile ?? OUR_FRAME_PROFILE, 'config', hash, now)
      else s.setSeedHash.run(hash, 'gauge', st.id)
      if (before === undefined) {
        appendRevision(st.id, st.thresholds, { source: 'configuration file', by: 'config', validFrom: 0 })
      } else if (differs(st.thresholds, before) && (lastFromFile === undefined || differs(st.thresholds, lastFromFile))) {
        appendRevision(st.id, st.thresholds, { source: 'configuration file', by: 'config', reason: 'configuration file changed', validFrom: Math.max(now, before.valid_from + 1) })
      }
      ;(row === undefined ? out.added : out.updated).push(st.id)
    }
    for (const c of cameras) {
      const hash = seedHash(c)
      const row = s.entry.get('camera', c.id)
      if (row !== undefined && row.seed_hash === hash) { out.kept.push(c.id); continue }
      s.upsertCamera.run(c.id, JSON.stringify(c), now)
      if (row === undefined) s.insertEntry.run('camera', c.id, now, 'config', c.trail === true ? 'trail-camera' : 'mimamori-camera-v1', 'config', hash, now)
      else s.setSeedHash.run(hash, 'camera', c.id)
      ;(row === undefined ? out.added : out.updated).push(c.id)
    }
  }).immediate()
  return out
}

function ensureValid (t: Thresholds): void {
  const p = thresholdProblem(t)
  if (p !== null) throw validationError(p)
}

function requireSource (source: string): void {
  if (source.trim() === '') throw validationError(problem('source', '値の出典を入力してください', 'say where the values came from'))
}

/** a commissioned station's document, registry entry and first threshold revision (in the caller's transaction) */
function insertStation (s: Statements, appendRevision: AppendRevision, station: Station, o: { by: string, source: string, profile?: string | undefined }, now: number): void {
  if (s.station.get(station.id) !== undefined || s.entry.get('gauge', station.id) !== undefined) {
    throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `station "${station.id}" already exists`, { details: { ...problem('id', 'この局IDは使用中です', 'this station id is in use') } })
  }
  if (s.stationByDevice.get(station.deviceId) !== undefined) {
    throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `device "${station.deviceId}" already reports for a station`, { details: { ...problem('deviceId', 'この機器IDは使用中です', 'this device id is in use') } })
  }
  const doc: Station = { ...station, profile: o.profile ?? OUR_FRAME_PROFILE }
  delete doc.state
  s.upsertStation.run(doc.id, doc.deviceId, JSON.stringify(doc), now)
  s.insertEntry.run('gauge', doc.id, now, o.by, doc.profile, 'api', null, now)
  appendRevision(doc.id, doc.thresholds, { source: o.source, by: o.by, reason: 'commissioned', validFrom: 0 })
}

/** a commissioned camera's document and registry entry (in the caller's transaction) */
function insertCamera (s: Statements, camera: Camera, o: { by: string, profile?: string | undefined }, now: number): void {
  if (s.camera.get(camera.id) !== undefined || s.entry.get('camera', camera.id) !== undefined) {
    throw new MimamoriError('MIMAMORI_ERR_DEVICE_EXISTS', `camera "${camera.id}" already exists`, { details: { ...problem('id', 'このカメラIDは使用中です', 'this camera id is in use') } })
  }
  const doc: Camera = { ...camera }
  delete doc.state
  s.upsertCamera.run(doc.id, JSON.stringify(doc), now)
  s.insertEntry.run('camera', doc.id, now, o.by, o.profile ?? (doc.trail === true ? 'trail-camera' : 'mimamori-camera-v1'), 'api', null, now)
}
