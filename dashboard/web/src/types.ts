/** Shapes of the dashboard API as the browser sees them (JSON: times are ISO strings). */

import type { Static } from 'typebox'
import type {
  BacklogReportBody, CameraBody, CameraImageEvent as CameraImageEventSchema, DeviceStatusBody, DeviceStatusEvent as DeviceStatusEventSchema,
  FeedbackBody, HunterBody, MapSettingsBody, ReadingBody, ReadingsBody, SeriesBody, SightingBody, StationBody, StatusChangeEvent, ThresholdsBody, TrendBody
} from '../../contract/index.js'
import type { LevelStatus } from '../../../core/types.js'

// Every shape here is the `Static` of the API contract's schema (dashboard/contract): a field the
// server adds or changes shows up here at compile time. Nothing below is written out by hand.
export type { LevelStatus }
export type StationStatus = LevelStatus | 'unknown'
export type Thresholds = Static<typeof ThresholdsBody>
export type StationView = Static<typeof StationBody>
export type LatestReading = NonNullable<StationView['latest']>
/** a gateway gauge's report on the store-and-forward backlog it delivered after an outage */
export type BacklogReport = Static<typeof BacklogReportBody>
export type DeviceStatus = Static<typeof DeviceStatusBody>
export type ReadingPoint = Static<typeof ReadingBody>
export type ReadingsResponse = Static<typeof ReadingsBody>
export type SeriesResponse = Static<typeof SeriesBody>
export type SeriesPoint = SeriesResponse['points'][number]
export type StationTrend = Static<typeof TrendBody>
export type CameraView = Static<typeof CameraBody>
export type CameraLatest = NonNullable<CameraView['latest']>
/** GET /api/map */
export type MapSettings = Static<typeof MapSettingsBody>
/** SSE `statusChange` */
export type StatusChange = Static<typeof StatusChangeEvent>
/** SSE `cameraImage` */
export type CameraImageEvent = Static<typeof CameraImageEventSchema>
/** SSE `deviceStatus` */
export type DeviceStatusEvent = Static<typeof DeviceStatusEventSchema>
/** A monkey sighting (`GET /api/wildlife/sightings`, SSE `sighting` / hunter `wildlifeAlert`) */
export type SightingView = Static<typeof SightingBody>
export type HunterView = Static<typeof HunterBody>
export type FeedbackView = Static<typeof FeedbackBody>
