import { randomUUID } from 'node:crypto'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import { contains } from '../../core/geofence.js'
import type { Logger } from '../../core/logger.js'
import type { Detection, Sighting } from '../../core/types.js'
import type { Alerts } from '../../alerts/index.js'
import type { Store } from '../../store/store.js'
import type { WildlifeRepo } from '../../store/wildlife.js'

export interface RaiseDeps {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  alerts: Alerts
  repo: WildlifeRepo
  stats: { sightings: number, alerts: number, suppressed: number }
}

/**
 * A burst's vote passed: one sighting, and unless the camera's cooldown (or
 * maintenance) holds it back, one confirmed alert for the hunters whose areas
 * contain the camera (createWildlife, ingest/wildlife/index.ts).
 */
export function createSightingRaiser ({ config, logger: log, bus, store, alerts, repo, stats }: RaiseDeps): {
  raiseSighting(cameraId: string, burstId: string, frames: number, positives: number, best: Detection): void
  huntersAt(lat: number, lon: number): string[]
} {
  const w = config.wildlife
  function huntersAt (lat: number, lon: number): string[] {
    const ids = new Set<string>()
    for (const a of repo.areas()) if (contains(a.shape, lat, lon)) ids.add(a.hunterId)
    return [...ids].sort()
  }

  function raiseSighting (cameraId: string, burstId: string, frames: number, positives: number, best: Detection): void {
    const camera = store.getCamera(cameraId)
    if (camera === undefined) return
    // a burst is one sighting, also when its vote is resumed after a restart
    if (repo.hasSighting(cameraId, burstId)) return
    // cooldown on data time from the last sighting that ALERTED (not the last one, which may itself be
    // suppressed: that would let every other burst of a lingering troop alert again), so replays behave like live
    const lastAlerting = repo.lastAlertingSighting(cameraId)
    // 点検中 (maintenance, fleet registry): the sighting is kept, no alert
    const suppressed = camera.state === 'maintenance' || (lastAlerting !== undefined && Math.abs(best.time - lastAlerting.time) < w.cooldownMs)
    const s: Sighting = {
      id: randomUUID(),
      cameraId,
      burstId,
      time: best.time,
      lat: camera.lat,
      lon: camera.lon,
      frames,
      positives,
      bestScore: best.score,
      bestFrameIndex: best.frameIndex,
      label: best.label,
      thumbnail: best.thumbnail,
      alertId: null,
      suppressed,
      hunters: huntersAt(camera.lat, camera.lon)
    }
    if (!suppressed) {
      // confirmed at once, never `pending`: the k-of-n vote over the burst already was the confirmation
      const ref = { kind: 'wildlife', subjectId: cameraId, rule: 'sighting', drill: w.drill || camera.drill === true }
      const open = alerts.findOpen(ref)
      // a troop back after the cooldown is a new event, not a refresh of the old one
      if (open !== undefined && best.time - open.lastSeenAt >= w.cooldownMs) alerts.clear(ref, { time: best.time, resolution: 'superseded' })
      const alert = alerts.raise({
        ...ref,
        severity: 'moderate',
        title: `サル出没 ${camera.name} / monkeys at ${camera.nameEn}`,
        message: `${positives} of ${frames} frames show monkeys (best score ${best.score.toFixed(2)}, ${best.label})`,
        details: {
          sightingId: s.id,
          cameraId,
          lat: camera.lat,
          lon: camera.lon,
          score: best.score,
          label: best.label,
          positives,
          frames,
          hunters: s.hunters,
          thumbnailUrl: `/api/wildlife/sightings/${s.id}/thumbnail.jpg`
        },
        time: best.time
      }, { confirmed: true })
      s.alertId = alert.id
      stats.alerts++
    } else {
      stats.suppressed++
    }
    repo.writeSighting(s)
    stats.sightings++
    log.info({ camera: cameraId, burst: burstId, positives, frames, score: best.score, suppressed, hunters: s.hunters.length }, suppressed ? 'sighting within cooldown: no new alert' : 'monkey sighting: alert raised')
    bus.emit('sighting', { sighting: s })
  }

  return { raiseSighting, huntersAt }
}
