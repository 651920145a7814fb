import { MimamoriError } from '../../core/errors.js'
import { vendorProfileOf, type Reading, type Station } from '../../core/types.js'
import { UPLINK_FPORT } from '../../codecs/gauge-v1.js'
import type { LorawanUplink } from '../../codecs/lorawan/uplink.js'
import { applyProfile } from '../../codecs/vendor/profiles.js'
import type { HandlerContext } from './context.js'
import { handleGaugeUplink, settleReading } from './gauge.js'

/**
 * One LoRaWAN uplink from any network server (ChirpStack, The Things Stack,
 * the generic webhook): DevEUI → station; the same frame heard again through
 * another gateway, server or webhook is a duplicate (DevEUI + frame counter +
 * payload, durable). A station without a profile speaks our frame v1; one with
 * a profile is decoded by its vendor codec in the sandbox and becomes a reading
 * through the profile's geometry, then the same QC, thresholds and alerts.
 */
export async function handleLorawanUplink (ctx: HandlerContext, up: LorawanUplink, receivedAt: number): Promise<'inserted' | 'duplicate'> {
  const station = stationByDevEui(ctx, up.devEui)
  if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_UNKNOWN_DEVICE', `DevEUI ${up.devEui} is not assigned to a station`)
  // the network server's receive time: a queued uplink keeps its observation time
  const arrival = up.time ?? receivedAt
  const work = async (): Promise<'inserted' | 'duplicate'> => {
    const profile = vendorProfileOf(station)
    if (profile === undefined) {
      if (up.fPort !== UPLINK_FPORT) throw new MimamoriError('MIMAMORI_ERR_BAD_FRAME', `fPort ${up.fPort} is not a gauge uplink port (expected ${UPLINK_FPORT})`)
      return await handleGaugeUplink(ctx, station.deviceId, up.bytes, up.fPort, arrival)
    }
    return await handleProfiledUplink(ctx, station, profile, up, arrival, receivedAt)
  }
  if (ctx.uplinks === undefined) return await work()
  return await ctx.uplinks.once(up, up.via, work)
}

async function handleProfiledUplink (ctx: HandlerContext, station: Station, profileId: string, up: LorawanUplink, time: number, receivedAt: number): Promise<'inserted' | 'duplicate'> {
  const codecs = ctx.codecs
  const profile = codecs?.profiles.get(profileId)
  if (codecs === undefined || profile === undefined) throw new MimamoriError('MIMAMORI_ERR_CODEC_PROFILE', `station ${station.id}: no device profile ${profileId}`)
  await codecs.ready()
  const decoded = codecs.decode(profile, { bytes: up.bytes, fPort: up.fPort, recvTime: new Date(time) })
  const m = applyProfile(profile, station, decoded.data)
  const reading: Reading = {
    stationId: station.id,
    deviceId: station.deviceId,
    time,
    receivedAt,
    level: m.levelM ?? Number.NaN,
    batteryV: m.batteryV,
    temperatureC: m.temperatureC,
    spreadMm: null,
    validPings: 0,
    totalPings: 0,
    deviceFlags: 0,
    seq: up.fCnt & 0xffff
  }
  if (m.gap !== undefined) ctx.logger.debug({ station: station.id, profile: profile.id, gap: m.gap }, 'vendor uplink without a level')
  return await settleReading(ctx, station, reading, { level: m.levelM, deviceLowBattery: m.batteryPercent !== null && m.batteryPercent <= 10 })
}

export function stationByDevEui (ctx: Pick<HandlerContext, 'store'>, devEui: string): Station | undefined {
  const eui = devEui.toLowerCase()
  const stations = ctx.store.listStations()
  return stations.find(s => s.devEui?.toLowerCase() === eui) ?? stations.find(s => s.deviceId.toLowerCase() === eui)
}
