import type { Duplex } from 'node:stream'

/**
 * Refuses an MQTT packet from its fixed header, before the body is buffered:
 * a passive 'data' tap on the transport (aedes reads with read(), which
 * emits 'data' without switching the stream to flowing mode). It walks the
 * byte stream packet by packet: type byte, remaining length (1–4 bytes), body.
 */
export type PacketViolation = 'packet_too_large' | 'malformed'

export function guardPackets (stream: Duplex, maxBytes: number, onViolation: (reason: PacketViolation) => void): void {
  let state: 'type' | 'length' | 'body' = 'type'
  let remaining = 0
  let multiplier = 1
  let lengthBytes = 0
  let tripped = false

  const trip = (reason: PacketViolation): void => {
    if (tripped) return
    tripped = true
    stream.off('data', onData)
    onViolation(reason)
  }

  const onData = (chunk: Buffer): void => {
    let i = 0
    while (i < chunk.length) {
      if (state === 'type') {
        const type = chunk[i]! >> 4
        // 0 and 15 are reserved in MQTT 3.1.1
        if (type === 0 || type === 15) { trip('malformed'); return }
        state = 'length'
        remaining = 0
        multiplier = 1
        lengthBytes = 0
        i++
      } else if (state === 'length') {
        const b = chunk[i]!
        remaining += (b & 0x7f) * multiplier
        multiplier *= 128
        lengthBytes++
        i++
        if ((b & 0x80) === 0) {
          if (remaining + 1 + lengthBytes > maxBytes) { trip('packet_too_large'); return }
          state = remaining === 0 ? 'type' : 'body'
        } else if (lengthBytes === 4) {
          trip('malformed')
          return
        }
      } else {
        const take = Math.min(remaining, chunk.length - i)
        remaining -= take
        i += take
        if (remaining === 0) state = 'type'
      }
    }
  }
  stream.on('data', onData)
}

/**
 * Failed logins per client address in a fixed window; over the limit, further
 * CONNECTs from that address are refused without checking the secret, which
 * also keeps scrypt work bounded under a password-guessing storm.
 */
export interface FailureLimiter {
  blocked(address: string): boolean
  fail(address: string): void
  succeed(address: string): void
}

export function createFailureLimiter ({ max, windowMs, now = Date.now }: { max: number, windowMs: number, now?: () => number }): FailureLimiter {
  const entries = new Map<string, { count: number, resetAt: number }>()
  const current = (address: string): { count: number, resetAt: number } | undefined => {
    const e = entries.get(address)
    if (e !== undefined && e.resetAt <= now()) {
      entries.delete(address)
      return undefined
    }
    return e
  }
  return {
    blocked (address) {
      return (current(address)?.count ?? 0) >= max
    },
    fail (address) {
      const e = current(address)
      if (e === undefined) {
        // bounded memory: an address flood cannot grow the table without end
        if (entries.size >= 100_000) {
          const t = now()
          for (const [k, v] of entries) if (v.resetAt <= t) entries.delete(k)
        }
        entries.set(address, { count: 1, resetAt: now() + windowMs })
      } else {
        e.count++
      }
    },
    succeed (address) {
      entries.delete(address)
    }
  }
}
