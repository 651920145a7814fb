import { MimamoriError } from '../../core/errors.js'
import type { HandlerContext } from './context.js'

/** Retained `.../status` messages: `{"online": true, "batteryV": 3.6}`; the LWT sets online false. */
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
  ctx.bus.emit('deviceStatus', { kind, deviceId, online: (parsed as { online: boolean }).online, time: receivedAt })
}
