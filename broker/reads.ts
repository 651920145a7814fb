import type { Duplex } from 'node:stream'

/** What boundReads needs of an Aedes 1.x client (lib/client.js). */
interface BatchingClient {
  /** packets of the current read still being handled; the next read happens when it is back to 0 */
  _parsingBatch: number
  _nextBatch: () => void
  closed?: boolean
}

/**
 * Caps how many bytes Aedes takes from a connection per read.
 *
 * Aedes reads everything the socket has buffered (`read()`), parses it in one go
 * and handles every packet of that batch concurrently; only then does it read
 * again. A publisher flooding QoS 0 hands it a whole socket buffer at a time
 * (16–64 KB: hundreds of gauge frames), and with a hundred such publishers tens of
 * thousands of messages sit half-delivered inside the broker at once, as parsed
 * packets, Aedes `Packet`s, closures and queued writes. They survive the young
 * generation's scavenges and get copied, then promoted: in a QoS 0 fan-in profile
 * the garbage collector took 43 % of the broker's busy time, most of it
 * scavenges of that live backlog. Reading at most `maxBytes` per batch keeps the
 * backlog per connection small (the rest waits in the socket and the kernel,
 * where it costs no GC), without a global gate: each connection is still
 * back-pressured only by its own deliveries.
 *
 * When a capped read leaves bytes behind and its batch completes no packet (a
 * large PUBLISH arriving in pieces), no 'readable' event would come for bytes
 * already buffered; the check after the read resumes the batch loop then, and
 * that read takes everything buffered, as Aedes alone would (an image upload is
 * not walked in `maxBytes` steps).
 */
export function boundReads (stream: Duplex, client: BatchingClient, maxBytes: number): void {
  const read = stream.read.bind(stream)
  let checking = false
  let whole = false
  const resume = (): void => {
    checking = false
    if (client._parsingBatch > 0 || stream.readableLength === 0 || client.closed === true || stream.destroyed) return
    // the capped batch is over and bytes remain: it ended inside a packet
    whole = true
    client._nextBatch()
  }
  stream.read = (size?: number): unknown => {
    if (size !== undefined && size !== null) return read(size)
    if (whole || stream.readableLength <= maxBytes) {
      whole = false
      return read()
    }
    if (!checking) {
      checking = true
      setImmediate(resume)
    }
    return read(maxBytes)
  }
}
