import type { FleetState, Thresholds } from '../types.js'
export { FLEET_STATES, type FleetState } from '../types.js'

/**
 * The fleet registry's shared shapes (store/fleet.ts keeps them, the dashboard
 * and the CLI edit them, ingest reads them). Browser-safe: types and pure code only.
 */


export type FleetKind = 'gauge' | 'camera'

/** where a device's entry came from: the configuration file (seed) or the fleet page / API / import */
export type FleetOrigin = 'config' | 'api'

/** One effective-dated set of thresholds: valid from `validFrom` until the next revision's validFrom. */
export interface ThresholdRevision {
  stationId: string
  /** 1, 2, … per station */
  revision: number
  /** ms since epoch; the first revision of a station is valid from 0 (always) */
  validFrom: number
  thresholds: Thresholds
  /** where the values came from (e.g. "山形県 河川課 2026-04 告示", "config file") */
  source: string
  /** who recorded it (user name, "config", "cli") */
  by: string
  reason: string | null
  recordedAt: number
}

/** The registry's own facts about a device, beside the station/camera document. */
export interface FleetEntry {
  kind: FleetKind
  /** station id for gauges, camera id for cameras */
  id: string
  state: FleetState
  stateSince: number
  stateBy: string
  stateReason: string | null
  /** payload format: 'mimamori-frame-v1' (our 11-byte frame) or a vendor device profile id */
  profile: string
  origin: FleetOrigin
  createdAt: number
}

/** What an alert records of the thresholds that applied when it fired (details.thresholds). */
export interface AppliedThresholds extends Thresholds {
  revision: number
  validFrom: string
  source: string
}

export const OUR_FRAME_PROFILE = 'mimamori-frame-v1'

/**
 * MQTT credentials for a commissioned device, from the broker's account registry.
 * The dashboard gets this from the process wiring (cli/app.ts), as it gets its downlink publisher:
 * services never import each other.
 */
export interface DeviceAccounts {
  /** registers the device and returns its secret: the only time it exists in clear */
  add(id: string, kind: FleetKind, stationId?: string): Promise<{ username: string, password: string }>
  /** the device can no longer connect (retired) */
  revoke(id: string): void
}

/** the one-time credentials answer of a commissioning request */
export interface IssuedCredentials {
  mqtt?: { username: string, password: string, topic: string } | undefined
  /** trail cameras: SMTP AUTH user = mailbox, password; HTTP upload: Bearer token = the same secret */
  intake?: { mailbox: string, password: string, uploadPath: string } | undefined
}
