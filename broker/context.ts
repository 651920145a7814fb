import type { Aedes } from 'aedes'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { AuthChecks, AuthFailure, Authenticator } from './auth.js'
import type { UplinkFeed } from './cluster.js'
import type { PacketLimits } from './limits.js'
import type { PublishOrder } from './ordering.js'
import type { RetainedBatchStats } from './retained-batch.js'
import type { DeviceRegistry } from './registry.js'
import { createStatusTracker, type StatusTracker } from './status.js'
import { payloadLimit } from './acl.js'

export interface BrokerCounters {
  connects: number
  disconnects: number
  clientErrors: number
  connectionErrors: number
  published: number
  deniedPublish: number
  deniedSubscribe: number
  authFailures: Readonly<Record<AuthFailure, number>>
  /** CONNECT secret checks: full (hash verified), knownGood (cache hit), skippedAddress / skippedDevice (refused unchecked), migrated (old form rewritten) */
  authChecks: Readonly<AuthChecks>
  /** retained messages written to the level backend: LevelDB batches, messages written, writes superseded by a newer one of the same topic before their batch */
  retainedWrites: Readonly<RetainedBatchStats>
  /** wills written to the level backend, in the same batches (broker/will-batch.ts) */
  willWrites: Readonly<RetainedBatchStats>
  /** connections the broker closed or refused, by reason (packet_too_large, payload_too_large, not_authorized, will_not_authorized, malformed, max_connections, keepalive_timeout, keepalive_not_allowed, protocol_error …) */
  closed: Record<string, number>
}

export interface BrokerIntake {
  take(msg: { topic: string, payload: Buffer, qos: 0 | 1 | 2 }): Promise<void>
}

/**
 * What the Aedes hooks (broker/hooks/*, one file per packet type as in aedes' own
 * lib/handlers) share with createBroker: settings, counters, and the parts that
 * exist only once the broker has started (read at call time, hence mutable).
 */
export interface BrokerContext {
  readonly b: Config['broker']
  readonly log: Logger
  readonly counters: BrokerCounters
  countClose(reason: string): void
  readonly status: StatusTracker
  readonly intake: BrokerIntake | undefined
  readonly packetLimits: PacketLimits
  auth: Authenticator | undefined
  registry: DeviceRegistry | undefined
  aedes: Aedes | undefined
  order: PublishOrder | undefined
  feed: UplinkFeed | undefined
}

/** the context of one broker; the started parts (auth, aedes, order, feed) are filled in by start() */
export function createContext ({ b, log, intake, registry }: { b: Config['broker'], log: Logger, intake: BrokerIntake | undefined, registry: DeviceRegistry | undefined }): BrokerContext {
  const counters = createCounters()
  return {
    b,
    log,
    counters,
    countClose: reason => { counters.closed[reason] = (counters.closed[reason] ?? 0) + 1 },
    status: createStatusTracker(),
    intake,
    packetLimits: {
      maxBytes: b.maxPacketBytes,
      payloadLimit: (topic: string): number => payloadLimit(topic, b.limits).max,
      smallestPayloadLimit: Math.min(b.limits.gaugePayloadBytes, b.limits.statusPayloadBytes, b.limits.imagePayloadBytes, b.limits.otherPayloadBytes)
    },
    auth: undefined,
    registry,
    aedes: undefined,
    order: undefined,
    feed: undefined
  }
}

export function createCounters (): BrokerCounters {
  return {
    connects: 0,
    disconnects: 0,
    clientErrors: 0,
    connectionErrors: 0,
    published: 0,
    deniedPublish: 0,
    deniedSubscribe: 0,
    authFailures: { anonymous_refused: 0, bad_credentials: 0, client_id_mismatch: 0, rate_limited: 0 },
    authChecks: { full: 0, knownGood: 0, skippedAddress: 0, skippedDevice: 0, migrated: 0 },
    retainedWrites: { batches: 0, written: 0, coalesced: 0 },
    willWrites: { batches: 0, written: 0, coalesced: 0 },
    closed: {}
  }
}

/**
 * The counted reason a client was closed; undefined for a refused CONNECT whose
 * reason authenticate already counted (authFailures, identifier_rejected, will_not_authorized).
 */
export function closeReason (err: Error): string | undefined {
  if (err instanceof MimamoriError) return String(err.details?.reason ?? err.code)
  const connack = (err as { errorCode?: unknown }).errorCode
  if (typeof connack === 'number') return connack === 6 ? 'keepalive_not_allowed' : connack === 1 ? 'unacceptable_protocol' : undefined
  const code = (err as NodeJS.ErrnoException).code
  // ws refuses a frame above maxPayload (= broker.maxPacketBytes) before the packet guard sees it
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'packet_too_large'
  return code !== undefined ? 'transport_error' : 'protocol_error'
}
