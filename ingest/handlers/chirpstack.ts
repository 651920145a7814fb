import { MimamoriError } from '../../core/errors.js'
import { encodeDownlink, type GaugeDownlinkData } from '../../codecs/gauge-v1.js'
import { parseChirpstackUp } from '../../codecs/lorawan/uplink.js'
import type { HandlerContext } from './context.js'
import { handleLorawanUplink, stationByDevEui } from './lorawan.js'

const DEV_EUI = /^[0-9a-f]{16}$/

export type ChirpstackResult = 'inserted' | 'duplicate' | 'no-level' | 'ignored'

/**
 * A LoRaWAN uplink relayed by ChirpStack v4's MQTT integration
 * (`application/{applicationId}/device/{devEui}/event/up`, codecs/lorawan/uplink.ts).
 * The DevEUI names the station (its `devEui`, or a `deviceId` that is the
 * DevEUI); `data` is our frame v1, or a vendor payload when the station has a
 * device profile (handlers/lorawan.ts). ChirpStack's decoded `object` is never
 * trusted. `time` (the network server's receive time) resolves the frame's
 * minute tag, so a queued uplink keeps its observation time.
 */
export async function handleChirpstackUplink (ctx: HandlerContext, topicDevEui: string, payload: Uint8Array, receivedAt: number): Promise<ChirpstackResult> {
  const up = parseChirpstackUp(payload, topicDevEui)
  // fPort 0 / no data: a MAC-command-only uplink, nothing for the application.
  if (up === null) return 'ignored'
  return await handleLorawanUplink(ctx, up, receivedAt)
}

export { stationByDevEui }

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
