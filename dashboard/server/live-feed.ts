import type { Static } from 'typebox'
import type { BusEvents, EventBus } from '../../core/bus.js'
import type { Logger } from '../../core/logger.js'
import type { Store } from '../../store/store.js'
import type { BacklogReportBody, DeviceStatusBody } from '../contract/schemas.js'
import type { SsePayloads } from '../contract/events.js'
import type { SseHub } from './sse.js'
import { currentOf, recentReadings, trustedLevel } from './current-level.js'
import { alertView } from './routes/alerts.js'
import { stationView, type DeviceStatusLookup } from './routes/stations.js'

export interface LiveFeed {
  /** last retained status per device (online, battery, last seen, last backlog report), fed by the bus */
  devices: DeviceStatusLookup
  close(): void
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * Bus events → SSE: what the map, the alert panel and the fleet page redraw from.
 * A reading is sent as its station's view with the same current level the REST
 * view has (current-level.ts): a reading QC holds goes out as `pending` beside
 * the last confirmed level, never as the level itself.
 */
export function createLiveFeed ({ bus, hub, store, log }: { bus: EventBus, hub: SseHub<SsePayloads>, store: Store, log: Logger }): LiveFeed {
  const busKey = {}
  const deviceStatus = new Map<string, Static<typeof DeviceStatusBody>>()
  // a backlog report outlives the statuses after it (the next will, the next boot)
  const lastBacklog = new Map<string, Static<typeof BacklogReportBody>>()
  // Built only when someone listens, and coalesced per station within one event-loop turn: under
  // load, group commit settles hundreds of readings in one turn and a map needs only each station's newest.
  const unsentReadings = new Map<string, BusEvents['reading']>()
  /** per station, bumped on every send: a slower store lookup never overwrites a newer reading */
  const sent = new Map<string, number>()
  let readingFlush: NodeJS.Immediate | undefined

  const sendReading = ({ reading, status }: BusEvents['reading']): void => {
    const station = store.getStation(reading.stationId)
    if (station === undefined) return
    const seq = (sent.get(station.id) ?? 0) + 1
    sent.set(station.id, seq)
    if (trustedLevel(reading)) {
      hub.broadcast('reading', { ...stationView(station, reading), status })
      return
    }
    // held or failed by QC: the current level is still the last confirmed one (from the store)
    void recentReadings(store, station.id, reading).then(recent => {
      if (sent.get(station.id) !== seq) return
      const { confirmed, pending } = currentOf(recent)
      hub.broadcast('reading', { ...stationView(station, confirmed, status, pending), status })
    }, (err: unknown) => { log.warn({ err: (err as Error).message, station: station.id }, 'live reading: store lookup failed') })
  }
  const flushReadings = (): void => {
    readingFlush = undefined
    for (const event of unsentReadings.values()) sendReading(event)
    unsentReadings.clear()
  }

  bus.on('reading', busKey, event => {
    if (hub.clients === 0) return
    const prev = unsentReadings.get(event.reading.stationId)
    if (prev === undefined || prev.reading.time <= event.reading.time) unsentReadings.set(event.reading.stationId, event)
    readingFlush ??= setImmediate(flushReadings)
  })
  bus.on('statusChange', busKey, change => { hub.broadcast('statusChange', { ...change, time: iso(change.time) }) })
  bus.on('deviceStatus', busKey, s => {
    const key = `${s.kind}/${s.deviceId}`
    const time = iso(s.time)
    if (s.backlog != null) {
      const b = s.backlog
      lastBacklog.set(key, { sent: b.sent, summarised: b.summarised, from: iso(b.from), to: iso(b.to), time })
    }
    const view = { online: s.online, batteryV: s.batteryV ?? null, lastSeen: s.lastSeen == null ? null : iso(s.lastSeen), time, lastBacklog: lastBacklog.get(key) ?? null }
    deviceStatus.set(key, view)
    hub.broadcast('deviceStatus', { kind: s.kind, deviceId: s.deviceId, ...view })
  })
  // the map redraws a commissioned, revised, paused or retired device (fleet page or another process)
  bus.on('fleetChange', busKey, change => { hub.broadcast('fleetChange', { ...change, time: iso(change.time) }) })
  bus.on('alert', busKey, ({ alert, from, to }) => { hub.broadcast('alert', { ...alertView(alert), from, to }) })
  bus.on('cameraImage', busKey, ({ image }) => {
    hub.broadcast('cameraImage', {
      cameraId: image.cameraId,
      time: iso(image.time),
      width: image.width,
      height: image.height,
      imageUrl: `/api/cameras/${image.cameraId}/latest.jpg?t=${image.time}`
    })
  })

  return {
    devices: (kind, deviceId) => deviceStatus.get(`${kind}/${deviceId}`),
    close () {
      bus.removeListeners(busKey)
      if (readingFlush !== undefined) clearImmediate(readingFlush)
    }
  }
}
