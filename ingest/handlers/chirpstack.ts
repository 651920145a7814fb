import { MimamoriError } from '../../core/errors.js'
import type { Station } from '../../core/types.js'
import { encodeDownlink, UPLINK_FPORT, type GaugeDownlinkData } from '../../codecs/gauge-v1.js'
import type { HandlerContext } from './context.js'
import { handleGaugeUplink } from './gauge.js'

/** The part of a ChirpStack v4 `event/up` (JSON encoding) that ingest reads; see docs/payload.md. */
interface ChirpstackUplinkEvent {
  time?: string
  deviceInfo?: { devEui?: string, deviceName?: string, applicationId?: string }
  fCnt?: number
  fPort?: number
  data?: string
}

const DEV_EUI = /^[0-9a-f]{16}$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export type ChirpstackResult = 'inserted' | 'duplicate' | 'no-level' | 'ignored'

/**
 * A LoRaWAN uplink relayed by ChirpStack v4's MQTT integration
 * (`application/{applicationId}/device/{devEui}/event/up`). The DevEUI names
 * the station (its `devEui`, or a `deviceId` that is the DevEUI); `data` is the
 * same frame v1 as on mmr/v1/gauge/+/up and goes through the same handler, so
 * QC, idempotency and events are identical. ChirpStack's decoded `object` is
 * never trusted. `time` (the network server's receive time) resolves the frame's
 * minute tag, so a queued uplink keeps its observation time.
 */
export async function handleChirpstackUplink (ctx: HandlerContext, topicDevEui: string, payload: Uint8Array, receivedAt: number): Promise<ChirpstackResult> {
  let event: ChirpstackUplinkEvent
  try {
    event = JSON.parse(Buffer.from(payload).toString('utf8')) as ChirpstackUplinkEvent
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `ChirpStack uplink is not JSON (the integration must use JSON marshaling): ${(err as Error).message}`)
  }
  if (event === null || typeof event !== 'object') throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'ChirpStack uplink is not a JSON object')
  const devEui = (event.deviceInfo?.devEui ?? '').toLowerCase()
  if (!DEV_EUI.test(devEui)) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'ChirpStack uplink has no valid deviceInfo.devEui')
  if (devEui !== topicDevEui.toLowerCase()) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `deviceInfo.devEui ${devEui} does not match the topic's ${topicDevEui}`)
  }
  // fPort 0 / no data: a MAC-command-only uplink, nothing for the application.
  if (event.data === undefined || event.data === '' || event.fPort === undefined || event.fPort === 0) return 'ignored'
  if (typeof event.data !== 'string' || !BASE64.test(event.data)) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', 'ChirpStack uplink `data` is not base64')
  if (event.fPort !== UPLINK_FPORT) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `fPort ${event.fPort} is not a gauge uplink port (expected ${UPLINK_FPORT})`)
  }
  const station = stationByDevEui(ctx, devEui)
  if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `DevEUI ${devEui} is not assigned to a station`)
  const nsTime = event.time === undefined ? Number.NaN : Date.parse(event.time)
  const arrival = Number.isFinite(nsTime) ? nsTime : receivedAt
  return await handleGaugeUplink(ctx, station.deviceId, Buffer.from(event.data, 'base64'), event.fPort, arrival)
}

export function stationByDevEui (ctx: Pick<HandlerContext, 'store'>, devEui: string): Station | undefined {
  const eui = devEui.toLowerCase()
  return ctx.store.listStations().find(s => s.devEui?.toLowerCase() === eui) ??
    ctx.store.listStations().find(s => s.deviceId.toLowerCase() === eui)
}

/**
 * A gauge downlink as ChirpStack v4's MQTT integration expects it
 * (`application/{applicationId}/device/{devEui}/command/down`, JSON with base64
 * `data`); ChirpStack queues it for the device's next receive window (class A).
 */
export function chirpstackDownlink (applicationId: string, devEui: string, settings: GaugeDownlinkData, confirmed = false): { topic: string, payload: string } {
  const eui = devEui.toLowerCase()
  if (!DEV_EUI.test(eui)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `DevEUI ${devEui} is not 16 hex digits`)
  if (!/^[A-Za-z0-9-]{1,64}$/.test(applicationId)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', 'applicationId is not a ChirpStack application id')
  const enc = encodeDownlink({ data: settings })
  if ('errors' in enc) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', enc.errors.join('; '))
  return {
    topic: `application/${applicationId}/device/${eui}/command/down`,
    payload: JSON.stringify({ devEui: eui, confirmed, fPort: enc.fPort, data: Buffer.from(enc.bytes).toString('base64') })
  }
}
