import { Type, type Static, type TSchema } from 'typebox'
import type { BusEvents } from '../../core/bus-events.js'
import { AlertBody, DeviceStatusBody, LevelStatusSchema, StationBody } from './schemas.js'
import { SightingBody } from './wildlife.js'

/**
 * Server-Sent Events, one schema per event name: what the dashboard's hub
 * (GET /api/events) and a hunter's stream (GET /api/hunters/:id/events) send.
 * Each is the JSON form of a bus event (core/bus-events.ts): epoch-ms times become
 * ISO strings, ids become the API's views. The checks at the bottom tie each
 * schema to its bus event, so a field added to the bus and not here fails to compile.
 */
const Time = Type.String({ format: 'date-time' })
const AlertStateSchema = Type.Union([Type.Literal('pending'), Type.Literal('firing'), Type.Literal('acknowledged'), Type.Literal('resolved')])

/** bus `reading` → the station's view with the new reading as `latest` and its live band as `status` (coalesced per station) */
export const ReadingEvent = StationBody

/** bus `statusChange` */
export const StatusChangeEvent = Type.Object({
  stationId: Type.String(),
  from: LevelStatusSchema,
  to: LevelStatusSchema,
  time: Time,
  level: Type.Number()
})

/** bus `deviceStatus` → the device's last status as GET /api/stations and /api/cameras show it */
export const DeviceStatusEvent = Type.Intersect([Type.Object({ kind: Type.String(), deviceId: Type.String() }), DeviceStatusBody])

/** bus `alert` → the alert after the change, with the transition (`from` null: created) */
export const AlertEvent = Type.Intersect([AlertBody, Type.Object({ from: Type.Union([AlertStateSchema, Type.Null()]), to: AlertStateSchema })])

/** bus `cameraImage` → where the browser fetches the new frame */
export const CameraImageEvent = Type.Object({
  cameraId: Type.String(),
  time: Time,
  width: Type.Integer(),
  height: Type.Integer(),
  imageUrl: Type.String()
})

/** bus `sighting` → the sighting's view (operators' stream) */
export const SightingEvent = SightingBody

/** bus `sighting`, not suppressed → one hunter's stream, `hunters` only that hunter */
export const WildlifeAlertEvent = SightingBody

/** bus `fleetChange` → the map redraws a commissioned, revised, paused or retired device */
export const FleetChangeEvent = Type.Object({
  kind: Type.Union([Type.Literal('gauge'), Type.Literal('camera')]),
  id: Type.String(),
  change: Type.Union([Type.Literal('commissioned'), Type.Literal('thresholds'), Type.Literal('state'), Type.Literal('seeded'), Type.Literal('updated')]),
  time: Time
})

/** GET /api/events: every event name and its payload */
export const SseEvents = {
  reading: ReadingEvent,
  statusChange: StatusChangeEvent,
  deviceStatus: DeviceStatusEvent,
  alert: AlertEvent,
  cameraImage: CameraImageEvent,
  sighting: SightingEvent,
  fleetChange: FleetChangeEvent
} satisfies Record<string, TSchema>

/** GET /api/hunters/:id/events */
export const HunterSseEvents = { wildlifeAlert: WildlifeAlertEvent } satisfies Record<string, TSchema>

/**
 * The 200 of a stream route for OpenAPI: text/event-stream is no JSON body,
 * so the route documents its event names and their payload schemas here.
 */
export function eventStreamBody (events: Record<string, TSchema>) {
  return Type.String({
    description: `text/event-stream; events: ${Object.keys(events).join(', ')} (payloads: dashboard/contract/events.ts)`,
    'x-events': events
  })
}

export type SseEventName = keyof typeof SseEvents
export type SseEventPayload<K extends SseEventName> = Static<typeof SseEvents[K]>
/** event name → payload, for the server's typed hub and the browser's listeners */
export type SsePayloads = { [K in SseEventName]: SseEventPayload<K> }
export type HunterSseEventName = keyof typeof HunterSseEvents
export type HunterSseEventPayload<K extends HunterSseEventName> = Static<typeof HunterSseEvents[K]>
export type HunterSsePayloads = { [K in HunterSseEventName]: HunterSseEventPayload<K> }

// ---- compile-time ties to the bus events (core/bus-events.ts) ----
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T
/** every SSE event is a bus event of the same name (wildlifeAlert is the hunters' copy of `sighting`) */
export type SseFromBus = Assert<SseEventName extends keyof BusEvents ? true : false>
/** statusChange carries exactly the bus event's fields */
export type StatusChangeFields = Assert<Same<keyof Static<typeof StatusChangeEvent>, keyof BusEvents['statusChange']>>
/** deviceStatus carries the bus event's fields (backlog as lastBacklog, the latest one kept) */
export type DeviceStatusFields = Assert<Same<Exclude<keyof BusEvents['deviceStatus'], 'backlog'> | 'lastBacklog', Exclude<keyof Static<typeof DeviceStatusEvent>, never>>>
/** alert: the transition of the bus event on top of the alert's view */
export type AlertFields = Assert<Same<Exclude<keyof BusEvents['alert'], 'alert'>, Exclude<keyof Static<typeof AlertEvent>, keyof Static<typeof AlertBody>>>>
/** cameraImage: the bus image's identity and size, plus where to fetch it */
export type CameraImageFields = Assert<Same<keyof Static<typeof CameraImageEvent>, 'cameraId' | 'time' | 'width' | 'height' | 'imageUrl'>>
/** fleetChange carries exactly the bus event's fields */
export type FleetChangeFields = Assert<Same<keyof Static<typeof FleetChangeEvent>, keyof BusEvents['fleetChange']>>
/** sighting: every field of the bus sighting is in its view */
export type SightingFields = Assert<keyof BusEvents['sighting']['sighting'] extends keyof Static<typeof SightingBody> ? true : false>
