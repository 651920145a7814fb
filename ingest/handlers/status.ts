import { MimamoriError } from '../../core/errors.js'
import type { HandlerContext } from './context.js'

/**
 * Retained `.../status` messages: `{"online":true,"batteryV":3.6}` from the device;
 * its last will `{"online":false}`, to which the broker adds `lastSeen` (ISO time) and the
 * last `batteryV` it saw (broker/index.ts). An online status means seen now.
 */
export function handleDeviceStatus (ctx: HandlerContext, kind: string, deviceId: string, payload: Buffer, receivedAt: number): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId} is not JSON`)
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { online?: unknown }).online !== 'boolean') {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId} needs a boolean "online"`)
  }
  const { online, batteryV, lastSeen } = parsed as { online: boolean, batteryV?: unknown, lastSeen?: unknown }
  if (batteryV !== undefined && batteryV !== null && (typeof batteryV !== 'number' || !Number.isFinite(batteryV))) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId}: "batteryV" must be a number`)
  }
  const seen = typeof lastSeen === 'string' ? Date.parse(lastSeen) : NaN
  if (lastSeen !== undefined && lastSeen !== null && !Number.isFinite(seen)) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `status of ${deviceId}: "lastSeen" must be an ISO 8601 time`)
  }
  ctx.bus.emit('deviceStatus', {
    kind,
    deviceId,
    online,
    time: receivedAt,
    batteryV: typeof batteryV === 'number' ? batteryV : null,
    lastSeen: Number.isFinite(seen) ? seen : online ? receivedAt : null
  })
}
