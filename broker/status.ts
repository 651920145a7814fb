import type { PublishPacket } from 'aedes'
import { parseTopic } from '../core/topics.js'

/**
 * A device's status: `{"online":true,"batteryV":3.6}` while connected, its will
 * `{"online":false}` when it is gone. The battery of the last status is remembered so
 * the offline status keeps it, and the will gets `lastSeen` (ISO time) when it fires.
 */
export interface StatusTracker {
  /** a status the device published itself: remembers its battery */
  note(packet: PublishPacket): void
  /** a will about to be published: adds the last battery and `lastSeen` to an offline status */
  completeWill(packet: PublishPacket, lastSeen: number | null): void
}

export function createStatusTracker (): StatusTracker {
  /** last battery voltage each device reported, until its offline status carries it */
  const batteryOf = new Map<string, number>()

  function read (packet: PublishPacket): { key: string, body: Record<string, unknown> } | undefined {
    const t = parseTopic(packet.topic)
    if (t === null || t.type !== 'device' || t.channel !== 'status') return undefined
    try {
      const parsed: unknown = JSON.parse(typeof packet.payload === 'string' ? packet.payload : packet.payload.toString('utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined
      return { key: `${t.kind}/${t.deviceId}`, body: parsed as Record<string, unknown> }
    } catch {
      // not JSON: the status handler in ingest refuses it with a code; nothing to add here
      return undefined
    }
  }

  return {
    note (packet) {
      const s = read(packet)
      if (s !== undefined && typeof s.body.batteryV === 'number') batteryOf.set(s.key, s.body.batteryV)
    },
    completeWill (packet, lastSeen) {
      const s = read(packet)
      if (s === undefined || s.body.online !== false) return
      const battery = batteryOf.get(s.key)
      batteryOf.delete(s.key)
      if (s.body.batteryV === undefined && battery !== undefined) s.body.batteryV = battery
      if (lastSeen !== null) s.body.lastSeen = new Date(lastSeen).toISOString()
      packet.payload = Buffer.from(JSON.stringify(s.body))
    }
  }
}
