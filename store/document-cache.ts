import type Database from 'better-sqlite3'
import type { Logger } from '../core/logger.js'
import type { Camera, Station } from '../core/types.js'
import { createFleetRegistry, registryVersionReader, type FleetRegistry } from './fleet.js'

export interface DocumentCache {
  readonly fleet: FleetRegistry
  stations(): Map<string, Station>
  /** a device id is the active station's; a retired station keeps it only while no other has it */
  byDevice(): Map<string, Station>
  cameras(): Map<string, Camera>
  /** rebuild now (after this process wrote the documents) */
  refresh(): void
  close(): void
}

/**
 * The embedded store's station and camera documents in memory, with the fleet
 * registry's facts on them (state, profile, the thresholds in force now), and
 * the registry itself (whose writes rebuild the cache). Rebuilt when another
 * process changed the registry or a future-dated revision comes into force.
 */
export function createDocumentCache (db: Database.Database, log: Logger): DocumentCache {
  const listStations = db.prepare<[], { doc: string }>('SELECT doc FROM stations ORDER BY id')
  const listCameras = db.prepare<[], { doc: string }>('SELECT doc FROM cameras ORDER BY id')
  let stations = new Map<string, Station>()
  let byDevice = new Map<string, Station>()
  let cameras = new Map<string, Camera>()
  /** a future-dated threshold revision becomes the current one at this time: the caches are rebuilt then */
  let nextRevisionAt = Number.POSITIVE_INFINITY
  // Every reader sees the registry's facts on the documents: state, and the thresholds in force now.
  const refreshCaches = (): void => {
    const now = Date.now()
    nextRevisionAt = Number.POSITIVE_INFINITY
    const overlay = (s: Station): Station => {
      const entry = fleet.entry('gauge', s.id)
      const rev = fleet.thresholdsAt(s.id, now)
      for (const r of fleet.history(s.id)) if (r.validFrom > now) nextRevisionAt = Math.min(nextRevisionAt, r.validFrom)
      return { ...s, ...(rev === undefined ? {} : { thresholds: rev.thresholds }), ...(entry === undefined ? {} : { state: entry.state, profile: entry.profile }) }
    }
    stations = new Map(listStations.all().map(r => overlay(JSON.parse(r.doc) as Station)).map(s => [s.id, s]))
    // a device id is the active station's; a retired station keeps it only while no other has it
    byDevice = new Map()
    for (const s of stations.values()) {
      const had = byDevice.get(s.deviceId)
      if (had === undefined || had.state === 'retired') byDevice.set(s.deviceId, s)
    }
    cameras = new Map(listCameras.all().map(r => JSON.parse(r.doc) as Camera).map(c => {
      const entry = fleet.entry('camera', c.id)
      return [c.id, entry === undefined ? c : { ...c, state: entry.state }]
    }))
    dataVersion = db.pragma('data_version', { simple: true }) as number
    registryVersion = readRegistryVersion()
  }
  let dataVersion = -1
  let registryVersion = -1
  const fleet = createFleetRegistry(db, { onWrite: () => { refreshCaches() } })
  const readRegistryVersion = registryVersionReader(db)
  refreshCaches()
  // Another process (the CLI's `fleet import`, a separate dashboard) changed the registry (its tables'
  // triggers bump registry_version, store/fleet.ts), or a future-dated revision came into force:
  // rebuild. data_version is a cheap read of the WAL header; the counter is read only when it moved.
  const watch = setInterval(() => {
    try {
      if (Date.now() >= nextRevisionAt) { refreshCaches(); return }
      const version = db.pragma('data_version', { simple: true }) as number
      if (version === dataVersion) return
      // something committed to the file; the stations and cameras only when the registry counter moved
      dataVersion = version
      if (readRegistryVersion() !== registryVersion) refreshCaches()
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'registry refresh failed')
    }
  }, 2000)
  watch.unref()

  return {
    fleet,
    stations: () => stations,
    byDevice: () => byDevice,
    cameras: () => cameras,
    refresh: refreshCaches,
    close () { clearInterval(watch) }
  }
}
