import { MimamoriError } from '../core/errors.js'

/**
 * The camera messages' framing: a 2-byte big-endian length, that many bytes of UTF-8 JSON
 * metadata, then a binary part (the JPEG, a thumbnail). One message carries both, so the
 * metadata can never be paired with the wrong bytes.
 */
export function encodeJsonHead (what: string, meta: unknown, maxMetaBytes: number, body: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8')
  if (json.length > maxMetaBytes) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `${what} metadata too large`)
  const head = Buffer.alloc(2)
  head.writeUInt16BE(json.length)
  return Buffer.concat([head, json, body])
}

/** the parsed (unchecked) metadata and the binary part; `bodyRequired` refuses a message that ends after the JSON */
export function decodeJsonHead (what: string, payload: Buffer, maxMetaBytes: number, bodyRequired: boolean): { raw: unknown, body: Buffer } {
  if (payload.length < 3) throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `${what} message shorter than its header`)
  const len = payload.readUInt16BE(0)
  const end = 2 + len
  if (len === 0 || len > maxMetaBytes || end > payload.length || (bodyRequired && end === payload.length)) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `${what} metadata length ${len} does not fit a ${payload.length}-byte message`)
  }
  try {
    return { raw: JSON.parse(payload.subarray(2, end).toString('utf8')), body: payload.subarray(end) }
  } catch {
    throw new MimamoriError('MIMAMORI_ERR_BAD_PAYLOAD', `${what} metadata is not JSON`)
  }
}
