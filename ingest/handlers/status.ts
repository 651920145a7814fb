import { MimamoriError } from '../../core/errors.js'
import type { HandlerContext } from './context.js'

/** what a gateway gauge reports once its store-and-forward queue has gone out (edge/gauge/store-and-forward.ts) */
export interface BacklogStatus {
  /** frames sent from the queue */
  sent: number
  /** measurements folded into other frames because the queue was full */
  summarised: number
  /** observation times the frames covered, epoch ms */
  from: number
  to: number
}

/**
 * Retained `.../status` messages: `{"online":true,"batteryV":3.6}` from the device;
 * its last will `{"online":false}`, to which the broker adds `lastSeen` (ISO time) and the
 * last `batteryV` it saw (broker/index.ts). An online status means seen now.
 * A gateway gauge adds `backlog` after delivering an outage's queue (docs/payload.md).
 */
export function handleDeviceStatus (ctx: HandlerContext, kind: string, deviceId: string, payload: Buffer, receivedAt: number, retained = false): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId} is not JSON`)
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { online?: unknown }).online !== 'boolean') {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId} needs a boolean "online"`)
  }
  const { online, batteryV, lastSeen, backlog: rawBacklog } = parsed as { online: boolean, batteryV?: unknown, lastSeen?: unknown, backlog?: unknown }
  if (batteryV !== undefined && batteryV !== null && (typeof batteryV !== 'number' || !Number.isFinite(batteryV))) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId}: "batteryV" must be a number`)
  }
  const seen = typeof lastSeen === 'string' ? Date.parse(lastSeen) : NaN
  if (lastSeen !== undefined && lastSeen !== null && !Number.isFinite(seen)) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId}: "lastSeen" must be an ISO 8601 time`)
  }
  const backlog = rawBacklog === undefined || rawBacklog === null ? null : parseBacklog(deviceId, rawBacklog)
  // a retained copy (a new subscription after a restart) repeats a report already counted when it was live
  if (backlog !== null && !retained) {
    ctx.stats.summarisedMeasurements += backlog.summarised
    ctx.logger.info({ device: deviceId, backlog: { ...backlog, from: new Date(backlog.from).toISOString(), to: new Date(backlog.to).toISOString() } },
      `${kind} ${deviceId} delivered ${backlog.sent} buffered frames (${backlog.summarised} measurements summarised) covering ${new Date(backlog.from).toISOString()}–${new Date(backlog.to).toISOString()}`)
  }
  ctx.bus.emit('deviceStatus', {
    kind,
    deviceId,
    online,
    time: receivedAt,
    batteryV: typeof batteryV === 'number' ? batteryV : null,
    lastSeen: Number.isFinite(seen) ? seen : online ? receivedAt : null,
    backlog
  })
}

/** `{"sent":N,"summarised":M,"from":"ISO","to":"ISO"}`, strictly: counts are non-negative integers, from ≤ to */
export function parseBacklog (deviceId: string, raw: unknown): BacklogStatus {
  const bad = (why: string): MimamoriError => new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId}: "backlog" ${why}`)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('must be an object {sent, summarised, from, to}')
  const { sent, summarised, from, to } = raw as Record<string, unknown>
  for (const [name, value] of [['sent', sent], ['summarised', summarised]] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad(`"${name}" must be a non-negative integer`)
  }
  const times: number[] = []
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    const ms = typeof value === 'string' && ISO_TIME.test(value) ? Date.parse(value) : NaN
    if (!Number.isFinite(ms)) throw bad(`"${name}" must be an ISO 8601 time with a zone`)
    times.push(ms)
  }
  const [fromMs, toMs] = times as [number, number]
  if (fromMs > toMs) throw bad('"from" must not be after "to"')
  return { sent: sent as number, summarised: summarised as number, from: fromMs, to: toMs }
}

/** 2025-09-01T03:00:00Z, with optional fraction and a Z or ±hh:mm zone */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/
