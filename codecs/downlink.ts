import { MimamoriError } from '../core/errors.js'
import { deviceTopic, isValidDeviceId } from '../core/topics.js'
import { decodeDownlink, encodeDownlink, type GaugeDownlinkData } from './gauge-v1.js'

/**
 * An operator's gauge downlink (docs/payload.md "Downlink (fPort 10)"), built
 * once for every way one is sent: the dashboard's `POST /api/stations/:id/downlink`
 * and `mimamori device downlink`. LoRaWAN gauges behind ChirpStack take the
 * same frame in another envelope (`chirpstackDownlink`, handlers/chirpstack.ts).
 */
export interface GaugeDownlink {
  deviceId: string
  /** mmr/v1/gauge/{deviceId}/down */
  topic: string
  fPort: number
  /** the frame as published */
  bytes: Buffer
  /** what the gauge applies: the frame decoded again (observationStartM in whole mm) */
  settings: GaugeDownlinkData
}

/** the encoder's error for a frame without items (test/fixtures/codecs/gauge-v1-downlink.json) */
const NO_SETTING = 'downlink names no setting'

/** publishes one downlink QoS 1 and resolves on the broker's PUBACK */
export type PublishDownlink = (topic: string, payload: Buffer) => Promise<void>

/** Encodes the named settings (undefined ones are left out); MIMAMORI_ERR_BAD_REQUEST when a value is out of range. */
export function gaugeDownlink (deviceId: string, requested: GaugeDownlinkData): GaugeDownlink {
  if (!isValidDeviceId(deviceId)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `"${deviceId}" is not a device id`)
  const named = Object.fromEntries(Object.entries(requested).filter(([, v]) => v !== undefined)) as GaugeDownlinkData
  const enc = encodeDownlink({ data: named })
  if ('errors' in enc) {
    // a refused value also leaves the frame empty; say so only when nothing else is wrong
    const errors = enc.errors.length > 1 ? enc.errors.filter(e => e !== NO_SETTING) : enc.errors
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `downlink: ${errors.join('; ')}`, { details: { errors } })
  }
  const decoded = decodeDownlink(enc)
  // the encoder and decoder are each other's inverse (test/unit/codec-gauge-v1.test.ts)
  if (decoded.errors !== undefined) throw new MimamoriError('MIMAMORI_ERR_INTERNAL', `downlink frame does not decode: ${decoded.errors.join('; ')}`)
  return { deviceId, topic: deviceTopic('gauge', deviceId, 'down'), fPort: enc.fPort, bytes: Buffer.from(enc.bytes), settings: decoded.data }
}
