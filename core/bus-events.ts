import type { Alert, AlertState, CameraImage, Detection, LevelStatus, Reading, Sighting } from './types.js'
import type { ErrorCode } from './errors.js'

/**
 * Every event that crosses a service boundary, with its payload type, in one
 * place (like zigbee2mqtt's eventBus.ts). Listeners register with a key so a
 * component can remove all of its listeners on close without tracking them.
 */
export interface BusEvents {
  /**
   * a reading with a level was decoded, QC'd and durably stored; `status` is the station's live band
   * after it (failed readings and unconfirmed suspect ones do not move it; core/river/band.ts)
   */
  reading: { reading: Reading, status: LevelStatus | 'unknown' }
  /** a gauge frame without a level (QC flag 9, 欠測) was stored as a gap; `reading.level` is NaN */
  missingReading: { reading: Reading }
  /** a station's MLIT band changed */
  statusChange: { stationId: string, from: LevelStatus | 'unknown', to: LevelStatus, time: number, level: number }
  /** an image from a field camera was accepted */
  cameraImage: { image: CameraImage }
  /**
   * a device reported online/offline on its retained status topic; batteryV and lastSeen (epoch ms) when known;
   * backlog when a gateway gauge has just delivered its store-and-forward queue (from/to: observation times, epoch ms)
   */
  deviceStatus: {
    kind: string
    deviceId: string
    online: boolean
    time: number
    batteryV?: number | null
    lastSeen?: number | null
    backlog?: { sent: number, summarised: number, from: number, to: number } | null
  }
  /** an alert was created or changed state (alerts); `from` is null when it was created */
  alert: { alert: Alert, from: AlertState | null, to: AlertState }
  /** a camera frame was analysed for monkeys (vision) */
  detection: { detection: Detection }
  /** k-of-n positive frames in a burst (ingest/wildlife); `suppressed` within the camera's cooldown */
  sighting: { sighting: Sighting }
  /** the fleet registry changed (commissioned, thresholds revised, maintenance, retired, seeded): readers refresh */
  fleetChange: { kind: 'gauge' | 'camera', id: string, change: 'commissioned' | 'thresholds' | 'state' | 'seeded' | 'updated', time: number }
  /** input was rejected; counted by metrics and shown to operators */
  rejected: { code: ErrorCode, source: string, message: string, time: number }
}
