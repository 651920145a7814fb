import type { Duplex } from 'node:stream'

/**
 * Refuses an MQTT packet from its fixed header, before the body is buffered:
 * a passive 'data' tap on the transport (aedes reads with read(), which
 * emits 'data' without switching the stream to flowing mode). It walks the
 * byte stream packet by packet: type byte, remaining length (1–4 bytes), body.
 * A PUBLISH large enough to break a topic-class limit (`payloadLimit`, broker/acl.ts)
 * is also judged on its topic, the first bytes of the body, so a 2 MB body on a
 * gauge topic is refused without being buffered.
 */
export type PacketViolation = 'packet_too_large' | 'malformed' | 'payload_too_large'

export interface PacketLimits {
  maxBytes: number
  /** largest payload allowed on a topic */
  payloadLimit(topic: string): number
  /** the smallest payloadLimit of any topic: a PUBLISH below it is not looked into */
  smallestPayloadLimit: number
}

const PUBLISH = 3
/** longer topics are left to aedes (the inspection buffers the topic) */
const MAX_INSPECTED_TOPIC = 1024

export function guardPackets (stream: Duplex, limits: PacketLimits, onViolation: (reason: PacketViolation) => void): void {
  const { maxBytes, smallestPayloadLimit } = limits
  let state: 'type' | 'length' | 'topic' | 'body' = 'type'
  let type = 0
  let qos = 0
  let remaining = 0
  let total = 0
  let multiplier = 1
  let lengthBytes = 0
  let head: Buffer[] = []
  let headBytes = 0
  let tripped = false

  const trip = (reason: PacketViolation): void => {
    if (tripped) return
    tripped = true
    stream.off('data', onData)
    onViolation(reason)
  }

  /** topic length + topic of a PUBLISH collected in `head`: undefined while incomplete */
  const judgeTopic = (): boolean | undefined => {
    const buf = head.length === 1 ? head[0]! : Buffer.concat(head, headBytes)
    if (buf.length < 2) return undefined
    const topicLength = buf.readUInt16BE(0)
    if (topicLength > MAX_INSPECTED_TOPIC) return true
    if (buf.length < 2 + topicLength) return undefined
    const payload = total - 2 - topicLength - (qos > 0 ? 2 : 0)
    return payload <= limits.payloadLimit(buf.toString('utf8', 2, 2 + topicLength))
  }

  const onData = (chunk: Buffer): void => {
    let i = 0
    while (i < chunk.length) {
      if (state === 'type') {
        type = chunk[i]! >> 4
        qos = (chunk[i]! >> 1) & 3
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
          total = remaining
          if (remaining === 0) state = 'type'
          else if (type === PUBLISH && remaining > smallestPayloadLimit) {
            state = 'topic'
            head = []
            headBytes = 0
          } else state = 'body'
        } else if (lengthBytes === 4) {
          trip('malformed')
          return
        }
      } else {
        let take = Math.min(remaining, chunk.length - i)
        if (state === 'topic') {
          // only as much as the topic needs; the rest is walked as body
          const want = headBytes < 2 ? 2 - headBytes : 2 + chunkTopicLength() - headBytes
          take = Math.min(take, Math.max(1, want))
          head.push(chunk.subarray(i, i + take))
          headBytes += take
          const ok = judgeTopic()
          if (ok === false) { trip('payload_too_large'); return }
          if (ok === true) { state = 'body'; head = [] }
        }
        remaining -= take
        i += take
        if (remaining === 0) { state = 'type'; head = [] }
      }
    }
  }
  /** the topic length once its two bytes are in `head` */
  const chunkTopicLength = (): number => {
    const buf = head.length === 1 ? head[0]! : Buffer.concat(head, headBytes)
    return buf.readUInt16BE(0)
  }
  stream.on('data', onData)
}
